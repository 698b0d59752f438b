"""Which files may travel with a meeting invitation: checked by name, size and content.

A file is accepted only when its extension is on the list AND its first bytes are what that
extension promises — a renamed .exe is refused either way. Telegram bots cannot download more
than 20 MB, so that is also the limit here.
"""

from __future__ import annotations

import html
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core import texts
from core.errors import InvalidInput
from core.meetings.models import DocumentKind
from core.storage import store_by_content

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DOCUMENTS = 10

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_PDF = b"%PDF-"
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"

ALLOWED_EXTENSIONS: dict[str, str] = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


@dataclass(frozen=True)
class DocumentUpload:
    """A file the secretary sent, already checked: the platform's id (sent in the messenger) or the
    path where it is kept (uploaded over HTTP), and what we know of it."""

    file_id: str | None
    filename: str
    mime_type: str
    size: int
    kind: DocumentKind = DocumentKind.DOCUMENT
    path: str | None = None


def extension_of(filename: str) -> str:
    return os.path.splitext(filename.strip().lower())[1]


def _size_mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def check_metadata(filename: str, size: int | None) -> str:
    """Before downloading: the name's extension and the announced size. Returns the MIME type."""
    name = filename or "?"
    mime = ALLOWED_EXTENSIONS.get(extension_of(name))
    if mime is None:
        raise InvalidInput(texts.meetings.FILE_TYPE_REFUSED.format(name=_shown(name)))
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            texts.meetings.FILE_TOO_LARGE.format(name=_shown(name), size=_size_mb(size), limit=MAX_DOCUMENT_BYTES // 1024 // 1024)
        )
    if size == 0:
        raise InvalidInput(texts.meetings.FILE_EMPTY.format(name=_shown(name)))
    return mime


def _zip_has(content: bytes, folder: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)


def content_matches(extension: str, content: bytes) -> bool:
    if extension == ".pdf":
        return content.startswith(_PDF)
    if extension == ".doc":
        return content.startswith(_OLE)
    if extension == ".docx":
        return content.startswith(_ZIP) and _zip_has(content, "word/")
    if extension == ".xlsx":
        return content.startswith(_ZIP) and _zip_has(content, "xl/")
    if extension in (".jpg", ".jpeg"):
        return content.startswith(_JPEG)
    if extension == ".png":
        return content.startswith(_PNG)
    return False


def check_content(filename: str, content: bytes) -> DocumentKind:
    """After downloading: the bytes must be what the extension says."""
    check_metadata(filename, len(content))
    extension = extension_of(filename)
    if not content_matches(extension, content):
        raise InvalidInput(texts.meetings.FILE_CONTENT_MISMATCH.format(name=_shown(filename), extension=extension))
    return DocumentKind.DOCUMENT


def _shown(filename: str) -> str:
    """A file name safe to put in an HTML message, and short enough to read."""
    name = filename.strip() or "?"
    if len(name) > 60:
        name = name[:57] + "…"
    return html.escape(name, quote=False)


def clean_filename(filename: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip() or "tai-lieu"
    return name[:200]


def store_upload(files_dir: str | Path, data: bytes, *, filename: str) -> DocumentUpload:
    """A file received over HTTP, checked exactly like one sent in the messenger (name, size, then
    content), and kept under `files_dir/meetings` named by its content hash (written once)."""
    name = clean_filename(filename)
    mime = check_metadata(name, len(data))
    kind = check_content(name, data)
    path = store_by_content(Path(files_dir) / "meetings", data, extension=extension_of(name))
    return DocumentUpload(file_id=None, filename=name, mime_type=mime, size=len(data), kind=kind, path=str(path))


def cache_key_of(path: str) -> str:
    """The delivery worker's key for a stored file: its content hash (one upload per bot)."""
    return f"meeting-document:{Path(path).stem}"

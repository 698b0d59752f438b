"""Files people send (meeting documents, a notice's file): checked by name, size and content.

A file is accepted only when its extension is on the rule's list AND its first bytes are what that
extension promises — a renamed .exe is refused either way, with `UnsupportedFileType` (the API's
415). Each domain says which extensions and how many bytes it takes (`FileRule`); the checks and
the reasons people read are the same everywhere.
"""

from __future__ import annotations

import html
import io
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from core import texts
from core.errors import InvalidInput, UnsupportedFileType

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_PDF = b"%PDF-"
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_OGG = b"OggS"

# Every extension a rule may list, with its MIME type.
MIME_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".csv": "text/csv",
    ".txt": "text/plain",
}

# The API's error code for a file kept only by the messenger (its platform id, no copy on the server).
STORED_ELSEWHERE = "document_not_stored"


@dataclass(frozen=True)
class FileRule:
    """What one domain accepts: these extensions (each in MIME_TYPES), at most `max_bytes`, and the
    reason shown for any other type (it lists what is accepted)."""

    extensions: frozenset[str]
    max_bytes: int
    type_refused: str  # "{name}"

    @property
    def mime_types(self) -> Mapping[str, str]:
        return {extension: MIME_TYPES[extension] for extension in sorted(self.extensions)}


def extension_of(filename: str) -> str:
    return os.path.splitext(filename.strip().lower())[1]


def mime_type_of(filename: str) -> str:
    """The MIME type a stored file is handed out with, from its name's extension."""
    return MIME_TYPES.get(extension_of(filename), "application/octet-stream")


def size_mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def shown(filename: str) -> str:
    """A file name safe to put in an HTML message, and short enough to read."""
    name = filename.strip() or "?"
    if len(name) > 60:
        name = name[:57] + "…"
    return html.escape(name, quote=False)


def clean_filename(filename: str, *, default: str = "tai-lieu") -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip() or default
    return name[:200]


def check_metadata(rule: FileRule, filename: str, size: int | None) -> str:
    """Before downloading: the name's extension and the announced size. Returns the MIME type."""
    name = filename or "?"
    extension = extension_of(name)
    if extension not in rule.extensions:
        raise UnsupportedFileType(rule.type_refused.format(name=shown(name)))
    if size is not None and size > rule.max_bytes:
        raise InvalidInput(texts.files.FILE_TOO_LARGE.format(name=shown(name), size=size_mb(size), limit=rule.max_bytes // 1024 // 1024))
    if size == 0:
        raise InvalidInput(texts.files.FILE_EMPTY.format(name=shown(name)))
    return MIME_TYPES[extension]


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
    if extension in (".xlsx", ".xlsm"):
        return content.startswith(_ZIP) and _zip_has(content, "xl/")
    if extension in (".jpg", ".jpeg"):
        return content.startswith(_JPEG)
    if extension == ".png":
        return content.startswith(_PNG)
    if extension in (".ogg", ".oga", ".opus"):
        return content.startswith(_OGG)
    if extension in (".csv", ".txt"):
        return _looks_like_text(content)
    return False


_BINARY = (_PDF, _ZIP, _OLE, _JPEG, _PNG, _OGG, b"\x7fELF")
_TEXT_CONTROLS = frozenset(b"\t\n\r\f")


def _looks_like_text(content: bytes) -> bool:
    """Text (UTF-8 or a Windows code page): no known binary header, and hardly any control bytes other
    than tabs and line breaks (a program or an image has many; a stray NUL in a cell is left for
    the reader to point at)."""
    if content.startswith(_BINARY):
        return False
    head = content[:4096]
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return controls * 100 <= len(head)


def check_content(rule: FileRule, filename: str, content: bytes) -> str:
    """After downloading (or receiving over HTTP): name and size, then the bytes must be what the
    extension says. Returns the MIME type."""
    mime = check_metadata(rule, filename, len(content))
    extension = extension_of(filename)
    if not content_matches(extension, content):
        raise UnsupportedFileType(texts.files.FILE_CONTENT_MISMATCH.format(name=shown(filename), extension=extension))
    return mime

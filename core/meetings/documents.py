"""Which files may travel with a meeting invitation: PDF, Word, Excel and images, at most 20 MB
(Telegram bots cannot download more), checked by name, size and content (`core.files`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core import texts
from core.errors import Conflict
from core.files import STORED_ELSEWHERE, FileRule, clean_filename, extension_of, shown
from core.files import check_content as _check_content
from core.files import check_metadata as _check_metadata
from core.meetings.models import DocumentKind, MeetingDocument
from core.storage import store_by_content

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DOCUMENTS = 10

RULE = FileRule(
    extensions=frozenset({".pdf", ".doc", ".docx", ".xlsx", ".jpg", ".jpeg", ".png"}),
    max_bytes=MAX_DOCUMENT_BYTES,
    type_refused=texts.meetings.FILE_TYPE_REFUSED,
)
ALLOWED_EXTENSIONS: dict[str, str] = dict(RULE.mime_types)

__all__ = ["clean_filename", "extension_of"]  # re-exported: the bot router and tests use them from here


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


def check_metadata(filename: str, size: int | None) -> str:
    """Before downloading: the name's extension and the announced size. Returns the MIME type."""
    return _check_metadata(RULE, filename, size)


def check_content(filename: str, content: bytes) -> DocumentKind:
    """After downloading: the bytes must be what the extension says."""
    _check_content(RULE, filename, content)
    return DocumentKind.DOCUMENT


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


def stored_file(document: MeetingDocument) -> Path:
    """Where the document's bytes are on this server. A file attached in the messenger is kept there
    only (Sổ tay holds its platform id, not a copy): that is a conflict with a reason people read."""
    name = shown(document.filename)
    if not document.file_path:
        raise Conflict(texts.meetings.DOCUMENT_ONLY_IN_MESSENGER.format(name=name), code=STORED_ELSEWHERE)
    path = Path(document.file_path)
    if not path.is_file():
        raise Conflict(texts.meetings.DOCUMENT_FILE_MISSING.format(name=name), code=STORED_ELSEWHERE)
    return path

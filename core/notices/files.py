"""A notice's one file: from the messenger (the platform's file id, reused for every recipient) or
uploaded over HTTP (checked like meeting documents by `core.files`, kept on disk by its content and
sent from there once per bot, then by the file id the delivery worker remembers). An uploaded file
is handed back to those who may read the notice (`stored_file`); one sent in the messenger is kept
there only.

Over HTTP a notice takes what a secretary sends in the bot: a photo (JPG, PNG), a document (PDF,
Word, Excel) or a voice message (OGG/Opus), at most 20 MB like any file Sổ tay takes in. Telegram
sends photos up to 10 MB; a larger image goes out as a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core import texts
from core.errors import Conflict, NotFound
from core.files import STORED_ELSEWHERE, FileRule, check_content, clean_filename, extension_of, mime_type_of, shown
from core.notices.models import AttachmentKind, Notice
from core.storage import store_by_content

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo; a larger image is sent as a file

PHOTO_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png"})
VOICE_EXTENSIONS = frozenset({".ogg", ".oga", ".opus"})
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".xlsx"})
RULE = FileRule(
    extensions=PHOTO_EXTENSIONS | VOICE_EXTENSIONS | DOCUMENT_EXTENSIONS,
    max_bytes=MAX_FILE_BYTES,
    type_refused=texts.notices.FILE_TYPE_REFUSED,
)


@dataclass(frozen=True)
class NoticeAttachment:
    """The one file of a notice: a platform file id, or a stored upload (`path`)."""

    kind: AttachmentKind
    file_id: str | None = None
    path: str | None = None
    filename: str | None = None


def kind_of(filename: str, size: int) -> AttachmentKind:
    extension = extension_of(filename)
    if extension in VOICE_EXTENSIONS:
        return AttachmentKind.VOICE
    if extension in PHOTO_EXTENSIONS and size <= MAX_PHOTO_BYTES:
        return AttachmentKind.PHOTO
    return AttachmentKind.DOCUMENT


def store_upload(files_dir: str | Path, data: bytes, *, filename: str) -> NoticeAttachment:
    """A file received over HTTP: checked (name, size, then content) and kept under
    `files_dir/notices` named by its content hash (written once)."""
    name = clean_filename(filename, default="tep")
    check_content(RULE, name, data)
    path = store_by_content(Path(files_dir) / "notices", data, extension=extension_of(name))
    return NoticeAttachment(kind=kind_of(name, len(data)), path=str(path), filename=name)


def cache_key_of(kind: AttachmentKind, path: str) -> str:
    """The delivery worker's key for a stored file: kind and content hash (one upload per bot; the
    same bytes sent as a photo and as a file have different platform ids)."""
    return f"notice-file:{kind.value}:{Path(path).stem}"


@dataclass(frozen=True)
class StoredFile:
    """A notice's file on this server: where it is, and the type and name it is handed out with."""

    path: Path
    media_type: str
    filename: str


def stored_file(notice: Notice) -> StoredFile:
    """The notice's uploaded file. A notice without a file: not found. A file sent in the messenger
    (Sổ tay holds its platform id, not a copy) or gone from disk: a conflict with a reason people read."""
    if notice.attachment_kind is None:
        raise NotFound(texts.notices.NO_FILE)
    if not notice.attachment_path:
        raise Conflict(texts.notices.FILE_ONLY_IN_MESSENGER, code=STORED_ELSEWHERE)
    path = Path(notice.attachment_path)
    name = notice.attachment_filename or f"thong-bao-{notice.id}{path.suffix}"
    if not path.is_file():
        raise Conflict(texts.notices.FILE_MISSING.format(name=shown(name)), code=STORED_ELSEWHERE)
    return StoredFile(path=path, media_type=mime_type_of(path.name), filename=name)

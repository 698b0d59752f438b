"""The text of an uploaded document (PDF, DOCX, TXT), with limits that keep a bad file harmless.

The type is read from the file's first bytes, never from its name. Every refusal is an
`InvalidInput` with a message that tells the publisher what to do instead:

- larger than `MAX_FILE_BYTES` (Telegram lets bots download 20 MB at most);
- a PDF of more than `MAX_PAGES` pages, encrypted, or unreadable;
- a PDF without a text layer (a scan): paste the text instead;
- a DOCX whose zip declares more than `MAX_DOCX_UNCOMPRESSED` bytes, or compresses an entry or the
  whole archive more than `MAX_COMPRESSION_RATIO` times, or has too many entries (a zip bomb) — from the
  zip's directory *before* anything is decompressed;
- text longer than `MAX_TEXT_CHARS` once extracted;
- an old .doc, a picture or anything else: `UnsupportedFileType` (the API's 415).

Extraction is CPU work: call `extract_text` through `asyncio.to_thread`.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Literal

from core import texts
from core.errors import InvalidInput, UnsupportedFileType

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PAGES = 100
MAX_TEXT_CHARS = 400_000  # ~100 dense pages
MAX_DOCX_UNCOMPRESSED = 20 * 1024 * 1024
MAX_DOCX_ENTRIES = 2000
MAX_COMPRESSION_RATIO = 100
# A text layer thinner than this per page (letters and digits) is a scan, or next to one.
MIN_CHARS_PER_PAGE = 40

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT_MIME = "text/plain"

FileKind = Literal["pdf", "docx", "txt"]
MIME_BY_KIND: dict[str, str] = {"pdf": PDF_MIME, "docx": DOCX_MIME, "txt": TXT_MIME}


@dataclass(frozen=True)
class Extracted:
    text: str
    kind: FileKind
    mime_type: str
    pages: int | None = None  # PDFs only


def sniff(data: bytes) -> str:
    """"pdf", "zip", "ole" (an old .doc/.xls), "text" or "binary", from the first bytes."""
    head = data[:1024]
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:3] == b"\xef\xbb\xbf":
        return "text"
    if b"\x00" in head or _control_ratio(head) > 0.01:
        return "binary"
    return "text"


_TEXT_CONTROLS = frozenset(b"\t\n\r\f")


def _control_ratio(head: bytes) -> float:
    """Share of C0 control bytes other than tabs and line breaks: text has none, images many."""
    if not head:
        return 0.0
    return sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS) / len(head)


def extract_text(data: bytes, *, filename: str = "") -> Extracted:
    if not data:
        raise InvalidInput(texts.resolutions.FILE_EMPTY)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(texts.resolutions.FILE_TOO_LARGE.format(megabytes=MAX_FILE_BYTES // (1024 * 1024)))
    kind = sniff(data)
    if kind == "pdf":
        text, pages = _pdf_text(data)
        return Extracted(text=_checked(text), kind="pdf", mime_type=PDF_MIME, pages=pages)
    if kind == "zip":
        return Extracted(text=_checked(_docx_text(data)), kind="docx", mime_type=DOCX_MIME)
    if kind == "ole":
        raise UnsupportedFileType(texts.resolutions.FILE_OLD_DOC)
    if kind == "text":
        return Extracted(text=_checked(_plain_text(data)), kind="txt", mime_type=TXT_MIME)
    raise UnsupportedFileType(texts.resolutions.FILE_UNSUPPORTED)


def tidy(text: str) -> str:
    """NFC, one kind of space, no trailing blanks, at most one empty line in a row."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _checked(text: str) -> str:
    text = tidy(text)
    if not text:
        raise InvalidInput(texts.resolutions.FILE_NO_TEXT)
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(texts.resolutions.TEXT_TOO_LONG.format(limit=f"{MAX_TEXT_CHARS:,}".replace(",", ".")))
    return text


# ---------------------------------------------------------------- PDF


def _pdf_text(data: bytes) -> tuple[str, int]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many official PDFs are "encrypted" with an empty password only to forbid editing.
            try:
                if not reader.decrypt(""):
                    raise InvalidInput(texts.resolutions.PDF_ENCRYPTED)
            except (PyPdfError, NotImplementedError) as exc:
                raise InvalidInput(texts.resolutions.PDF_ENCRYPTED) from exc
        pages = len(reader.pages)
    except InvalidInput:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        log.info("unreadable PDF: %s", type(exc).__name__)
        raise InvalidInput(texts.resolutions.PDF_UNREADABLE) from exc
    if pages == 0:
        raise InvalidInput(texts.resolutions.PDF_UNREADABLE)
    if pages > MAX_PAGES:
        raise InvalidInput(texts.resolutions.PDF_TOO_MANY_PAGES.format(pages=pages, limit=MAX_PAGES))
    parts: list[str] = []
    total = 0
    for page in reader.pages:
        try:
            page_text = page.extract_text() or ""
        except Exception as exc:
            log.info("PDF page unreadable: %s", type(exc).__name__)
            page_text = ""
        parts.append(page_text)
        total += len(page_text)
        if total > MAX_TEXT_CHARS * 2:
            raise InvalidInput(texts.resolutions.TEXT_TOO_LONG.format(limit=f"{MAX_TEXT_CHARS:,}".replace(",", ".")))
    letters = sum(1 for ch in "".join(parts) if ch.isalnum())
    if letters < MIN_CHARS_PER_PAGE * pages:
        raise InvalidInput(texts.resolutions.PDF_SCANNED)
    return _join_pdf_lines("\n\n".join(parts)), pages


def _join_pdf_lines(text: str) -> str:
    """PDF text breaks lines where the page did; join a line to the next unless it ends a sentence
    or the next one starts a heading or a list item."""
    lines = text.replace("\r", "").split("\n")
    out: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            out.append("")
            continue
        if out and out[-1] and not re.search(r"[.:;!?…]$", out[-1]) and not _starts_block(line):
            previous = out[-1]
            out[-1] = previous[:-1] + line if previous.endswith("-") and line[:1].islower() else f"{previous} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def _starts_block(line: str) -> bool:
    return bool(re.match(r"^([-–•+*]|\d+[.)]|[a-zđ][.)]|[IVXLC]+[.)]|Điều \d|Chương |Phần |Mục )", line))


# ---------------------------------------------------------------- DOCX


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open a zip only after its directory promises nothing dangerous."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise InvalidInput(texts.resolutions.DOCX_UNREADABLE) from exc
    if len(entries) > MAX_DOCX_ENTRIES:
        raise InvalidInput(texts.resolutions.DOCX_BOMB)
    declared = 0
    for entry in entries:
        declared += entry.file_size
        if declared > MAX_DOCX_UNCOMPRESSED:
            raise InvalidInput(texts.resolutions.DOCX_BOMB)
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1):
            raise InvalidInput(texts.resolutions.DOCX_BOMB)
    compressed = sum(entry.compress_size for entry in entries)
    if declared > 2 * 1024 * 1024 and declared > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise InvalidInput(texts.resolutions.DOCX_BOMB)
    names = {entry.filename for entry in entries}
    if "word/document.xml" not in names:
        raise UnsupportedFileType(texts.resolutions.FILE_UNSUPPORTED)
    return archive


def _docx_text(data: bytes) -> str:
    check_zip(data)
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except InvalidInput:
        raise
    except Exception as exc:
        log.info("unreadable DOCX: %s", type(exc).__name__)
        raise InvalidInput(texts.resolutions.DOCX_UNREADABLE) from exc
    from docx.text.paragraph import Paragraph

    blocks: list[str] = []
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, Paragraph):
            blocks.append(block.text)
            continue
        for row in block.rows:
            cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells if cell.text.strip()))
            if cells:
                blocks.append(" | ".join(cells))
    return "\n".join(blocks)


# ---------------------------------------------------------------- TXT


def _plain_text(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258")  # Vietnamese Windows text files
    except UnicodeDecodeError as exc:
        raise UnsupportedFileType(texts.resolutions.FILE_UNSUPPORTED) from exc

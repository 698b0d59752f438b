"""Building test files: real PDFs (with and without a text layer), DOCX files and zip bombs."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from voice.engines import Pcm


def pdf_with_text(pages: list[str]) -> bytes:
    """A minimal valid PDF whose pages show the given (ASCII) lines with a standard font."""
    objects: list[bytes] = []
    kids = []
    font_id = 3 + 2 * len(pages)
    for index, text in enumerate(pages):
        page_id = 3 + 2 * index
        content_id = page_id + 1
        kids.append(f"{page_id} 0 R")
        lines = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in text.split("\n")]
        stream = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
        objects.append(
            f"{page_id} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >> endobj".encode()
        )
        data = stream.encode("latin-1")
        objects.append(f"{content_id} 0 obj << /Length {len(data)} >> stream\n".encode() + data + b"\nendstream endobj")
    header = [
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
        f"2 0 obj << /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >> endobj".encode(),
    ]
    font = f"{font_id} 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj".encode()
    return _assemble(header + objects + [font])


def pdf_scanned(pages: int = 2) -> bytes:
    """Pages that only paint a rectangle (a stand-in for a scanned image): no text layer."""
    objects = []
    kids = []
    for index in range(pages):
        page_id = 3 + 2 * index
        kids.append(f"{page_id} 0 R")
        data = b"0 0 0 rg 50 50 400 600 re f"
        objects.append(f"{page_id} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {page_id + 1} 0 R >> endobj".encode())
        objects.append(f"{page_id + 1} 0 obj << /Length {len(data)} >> stream\n".encode() + data + b"\nendstream endobj")
    header = [
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
        f"2 0 obj << /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >> endobj".encode(),
    ]
    return _assemble(header + objects)


def _assemble(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for obj in objects:
        offsets.append(len(out))
        out += obj + b"\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb(uncompressed_mb: int = 200) -> bytes:
    """A .docx-looking zip whose document.xml inflates to `uncompressed_mb` MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(uncompressed_mb):
                entry.write(chunk)
    return buffer.getvalue()


class CountingSpeaker:
    """A fast fake speech engine that counts its syntheses per (voice, speed)."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        self.calls.append((text, voice, speed))
        seconds = 0.4 if speed == "normal" else 0.6
        t = np.arange(int(16000 * seconds), dtype=np.float32) / 16000
        return Pcm((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)


def with_polls(harness):  # type: ignore[no-untyped-def]
    """Make the harness's fake Telegram answer sendPoll with a real Poll (ids "poll-1", "poll-2", …)."""
    import itertools

    from aiogram.types import Poll, PollOption

    original = harness.session.make_request
    ids = itertools.count(1)

    async def make_request(bot, method, timeout=None):  # type: ignore[no-untyped-def]
        result = await original(bot, method, timeout)
        if type(method).__name__ == "SendPoll":
            options = [PollOption(persistent_id=str(i), text=o if isinstance(o, str) else o.text, voter_count=0) for i, o in enumerate(method.options)]
            poll = Poll(
                id=f"poll-{next(ids)}", question=method.question, options=options, total_voter_count=0, is_closed=False,
                is_anonymous=bool(method.is_anonymous), type=method.type or "regular", allows_multiple_answers=False,
                allows_revoting=False, members_only=False, correct_option_id=method.correct_option_id,
            )
            result = result.model_copy(update={"poll": poll})
        return result

    harness.session.make_request = make_request  # type: ignore[method-assign]
    return harness

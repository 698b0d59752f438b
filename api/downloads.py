"""Files the API hands out (a meeting's document, a notice's file): their type, and a name every
client can save.

Names are Vietnamese («Biên bản tháng 11.pdf»), and an HTTP header is Latin-1 at best, so the
name travels twice (RFC 6266): `filename*` carries it exactly, UTF-8 percent-encoded (RFC 5987),
and `filename` an ASCII fallback without diacritics for clients that read only that one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import FileResponse

from api.errors import ErrorBody
from core.folding import strip_accents


def ascii_filename(filename: str) -> str:
    """«Biên bản tháng 11.pdf» → «Bien ban thang 11.pdf»: diacritics dropped (đ → d), anything else
    outside printable ASCII, quotes and backslashes turned into «_»."""
    plain = strip_accents(filename, compatibility=True)
    return "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "_" for ch in plain) or "tep"


def content_disposition(filename: str) -> str:
    return f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=utf-8''{quote(filename, safe='')}"


def download_headers(filename: str) -> dict[str, str]:
    """An attachment under its own name; browsers are told not to guess another type."""
    return {"Content-Disposition": content_disposition(filename), "X-Content-Type-Options": "nosniff"}


def file_download(path: str | Path, *, media_type: str, filename: str) -> FileResponse:
    """The stored file as an attachment under its own name."""
    return FileResponse(path, media_type=media_type, headers=download_headers(filename))


def download_responses(media_types: list[str], *, example_name: str, refusals: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI for a download route: the file in each type it may have, the header that names it, and
    the route's refusals in the one error body."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    ok = {
        "description": "The file, with its name in Content-Disposition",
        "content": {media_type: binary for media_type in sorted(set(media_types))},
        "headers": {"Content-Disposition": {
            "description": "The file's name: `filename` without diacritics, `filename*` exactly (UTF-8)",
            "schema": {"type": "string"},
            "example": content_disposition(example_name),
        }},
    }
    return {200: ok, **{status: {"model": ErrorBody, "description": text} for status, text in refusals.items()}}

"""Hostile request bodies (issue 18, item 5): deeply nested JSON, a streamed body over the limit, NUL
in a form field or a file name. Every one is a 4xx with a reason, before or without a token, and
nothing is left behind (no row, no stored file). Run on PostgreSQL too: NUL is what PostgreSQL refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.notices.models import Notice

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("depth", [40, 100_000])
@pytest.mark.parametrize("content_type", ["application/json", None])
async def test_deeply_nested_json_is_refused_without_a_token(api_client, depth, content_type) -> None:
    body = b"[" * depth + b"]" * depth
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api_client.post("/api/v1/tokens", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert response.json()["fields"] == [{"loc": ["body"], "reason": "JSON nested more than 32 levels deep"}]


async def test_json_nested_as_deep_as_a_request_needs_still_reaches_the_route(api_client) -> None:
    # 32 levels: not refused by the guard; the route (no token) answers for itself.
    body = b"[" * 32 + b"]" * 32
    assert (await api_client.post("/api/v1/tokens", content=body, headers={"Content-Type": "application/json"})).status_code == 401


async def test_a_streamed_json_body_over_the_limit_is_413(api_client, commune, bearer) -> None:
    headers = await bearer(commune.cells[0].secretary)

    async def chunks():  # no Content-Length: the limit is found while reading
        yield b'{"name": "'
        for _ in range(3 * 1024):
            yield b"x" * 1024
        yield b'"}'

    response = await api_client.post("/api/v1/tokens", content=chunks(), headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "too_large"


def _multipart(fields: dict[str, str], filename: bytes, content: bytes) -> tuple[bytes, str]:
    """Built by hand: httpx would percent-encode a NUL in the file name, a client need not."""
    boundary = "sotayboundary42"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode() + filename
                 + b'"\r\nContent-Type: application/pdf\r\n\r\n' + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("text", "filename", "field"),
    [
        ("Họp chi bộ\x00 tháng 12", b"ke-hoach.pdf", "text"),
        ("Họp chi bộ", b"ke-hoach\x00.pdf", "file"),
    ],
)
async def test_nul_in_a_form_field_or_file_name_is_422_and_leaves_nothing_behind(api_client, session, commune, bearer, runtime,
                                                                                  text, filename, field) -> None:
    cell = commune.cells[0]
    headers = await bearer(cell.secretary)
    files_root = Path(runtime.settings.data_dir) / "files"
    before = _stored_files(files_root)
    body, content_type = _multipart({"org_id": str(cell.org.id), "text": text}, filename, PDF)
    response = await api_client.post("/api/v1/notices/with-file", content=body, headers={**headers, "Content-Type": content_type})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert response.json()["fields"] == [{"loc": ["body", field], "reason": "text and file names must not contain NUL characters"}]
    assert _stored_files(files_root) == before
    assert await session.scalar(select(func.count(Notice.id))) == 0

"""The API commits, then answers (issue 18, item 6): when the client reads 2xx the change is already in
the database, and a commit that fails is a 5xx, never a success the client believes."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session

from api.app import create_app
from core.orgs.models import Member

NEW_MEMBER = {"full_name": "Lò Thị Bình", "date_of_birth": "1990-08-02", "gender": "female", "joined_on": "2015-05-19",
              "official_on": "2016-05-19", "card_number": "93012345", "citizen_id": "014190001234"}


async def _count(session_factory) -> int:  # type: ignore[no-untyped-def]
    async with session_factory() as fresh:
        return int(await fresh.scalar(select(func.count(Member.id)).where(Member.card_number == NEW_MEMBER["card_number"])))


async def test_the_change_is_committed_before_the_answer_starts(runtime, commune, bearer, session_factory) -> None:
    app = create_app(runtime)
    seen_at_answer: list[int] = []

    async def watching(scope, receive, send):  # type: ignore[no-untyped-def]
        async def send_after_looking(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start" and scope["path"] == "/api/v1/members":
                # What another connection sees at the moment the status line leaves the server.
                seen_at_answer.append(await _count(session_factory))
            await send(message)

        await app(scope, receive, send_after_looking)

    headers = await bearer(commune.cells[0].secretary)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=watching), base_url="http://sotay.test") as client:
        response = await client.post("/api/v1/members", json={**NEW_MEMBER, "org_id": commune.cells[0].org.id}, headers=headers)
    assert response.status_code == 201, response.text
    assert seen_at_answer == [1]


class _CommitFails(Session):
    def commit(self) -> None:
        raise OperationalError("COMMIT", {}, Exception("the database went away at commit"))


async def test_a_failed_commit_is_a_5xx_and_nothing_is_kept(runtime, commune, bearer, engine, session_factory) -> None:
    headers = await bearer(commune.cells[0].secretary)
    runtime.session_factory = async_sessionmaker(engine, expire_on_commit=False, sync_session_class=_CommitFails)
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://sotay.test") as client:
        response = await client.post("/api/v1/members", json={**NEW_MEMBER, "org_id": commune.cells[0].org.id}, headers=headers)
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert await _count(session_factory) == 0


async def test_a_file_stored_for_a_change_that_failed_is_removed(runtime, commune, bearer, engine) -> None:
    from pathlib import Path

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n% unique to this test\n"
    headers = await bearer(commune.cells[0].secretary)
    runtime.session_factory = async_sessionmaker(engine, expire_on_commit=False, sync_session_class=_CommitFails)
    transport = httpx.ASGITransport(app=create_app(runtime), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://sotay.test") as client:
        response = await client.post("/api/v1/notices/with-file", data={"org_id": str(commune.cells[0].org.id), "text": "Kế hoạch"},
                                     files={"file": ("ke-hoach.pdf", pdf, "application/pdf")}, headers=headers)
    assert response.status_code == 500
    root = Path(runtime.settings.data_dir) / "files"
    assert [p for p in root.rglob("*") if p.is_file()] == []

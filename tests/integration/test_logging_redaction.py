"""Personal data never reaches the logs (issue 18, item 4): a request that fails inside the database
with a member's name and birth date in its statement is served by the real uvicorn server, and
everything the process prints (uvicorn's own loggers included) goes through sotay's logging: one
format, the request id, no SQL parameters, no exception text that could quote them."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest
from sqlalchemy import text

from core.db import is_sqlite
from sotay.logging_setup import setup_logging
from sotay.serve import _run_api

SECRET_NAME = "Nguyễn Thị Bí Mật"
SECRET_BIRTH = "1977-03-14"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _break_member_inserts(engine, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """An insert into members fails inside the database the way an outage or a bug would (not a
    constraint the API turns into 409), so the error carries the statement and its parameters."""
    async with engine.begin() as connection:
        if is_sqlite(database_url):
            await connection.execute(text("CREATE TRIGGER break_members BEFORE INSERT ON members "
                                          "BEGIN SELECT no_such_function(NEW.full_name); END"))
        else:
            await connection.execute(text("CREATE OR REPLACE FUNCTION break_members() RETURNS trigger AS $$ "
                                          "BEGIN RAISE EXCEPTION 'storage failure for %', NEW.full_name; END $$ LANGUAGE plpgsql"))
            await connection.execute(text("DROP TRIGGER IF EXISTS break_members ON members"))
            await connection.execute(text("CREATE TRIGGER break_members BEFORE INSERT ON members "
                                          "FOR EACH ROW EXECUTE FUNCTION break_members()"))


@pytest.fixture
def restore_logging():  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


async def test_a_failing_request_with_personal_data_logs_none_of_it(runtime, commune, bearer, engine, database_url, capsys,
                                                                    restore_logging) -> None:
    headers = await bearer(commune.cells[0].secretary)
    await _break_member_inserts(engine, database_url)
    setup_logging("INFO")
    port = _free_port()
    runtime.settings = runtime.settings.model_copy(update={"http_host": "127.0.0.1", "http_port": port})
    stop = asyncio.Event()
    server = asyncio.create_task(_run_api(runtime, stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    await client.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            member = {"org_id": commune.cells[0].org.id, "full_name": SECRET_NAME, "date_of_birth": SECRET_BIRTH, "gender": "female",
                      "joined_on": "2015-05-19", "card_number": "93012345", "citizen_id": "014190001234", "phone": "0912345678"}
            response = await client.post("/api/v1/members", json=member, headers=headers)
    finally:
        stop.set()
        await server
        async with engine.begin() as connection:  # the trigger would outlive the test's TRUNCATE
            await connection.execute(text("DROP TRIGGER IF EXISTS break_members" + ("" if is_sqlite(database_url) else " ON members")))
    printed = capsys.readouterr()
    output = printed.err + printed.out
    for secret in (SECRET_NAME, SECRET_BIRTH, "1977, 3, 14", "014190001234", "0912345678", "93012345"):
        assert secret not in output, secret
    assert response.status_code == 500 and response.json()["error"] == "internal_error"
    # uvicorn reported it, through sotay's handler and format; the traceback says where, not what.
    lines = [line for line in output.splitlines() if "Exception in ASGI application" in line]
    assert lines and all(" ERROR uvicorn.error [" in line for line in lines), output
    assert "sqlalchemy.exc." in output and "(message hidden" in output

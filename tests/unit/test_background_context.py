"""A background job never sees the update's database session (bot/background.py): the middleware
closes that session when the handler returns, and a Zalo screen recorded through it afterwards held
an SQLite write transaction open until the process stopped (every other writer: "database is locked")."""

from __future__ import annotations

from bot import background
from bot.middlewares import handler_session


async def test_a_background_job_does_not_inherit_the_handlers_session() -> None:
    seen: list[object] = []

    async def job() -> None:
        seen.append(handler_session.get())

    token = handler_session.set("the update's session")  # type: ignore[arg-type]
    try:
        background.spawn(job(), name="voice")
        assert handler_session.get() == "the update's session"  # the handler itself still has it
    finally:
        handler_session.reset(token)
    await background.drain()
    assert seen == [None]

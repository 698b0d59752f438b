"""Who is asking comes from memory between updates (core.orgs.actor_cache), and a change made anywhere
else — another session, another process, a bulk UPDATE, raw SQL — takes effect on the very next update.

"Another process" here is a second engine (its own connections, its own middleware) or a separate
Python process; the first middleware's memory is only told through the database's directory version.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.types import Chat, Message, Update, User
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.middlewares import DatabaseMiddleware
from core import texts
from core.db import create_engine, create_session_factory, transaction, utcnow
from core.orgs.models import ChannelLink, DirectoryVersion, Member, Org, OrgRole, RoleKind
from core.orgs.service import Actor
from tests.botkit import texts_of
from tests.factories import Commune, make_commune

TOKEN = "7000000009:actor_cache_token_abcdefghijklmnopq"
SECRETARY_A = 1001
MEMBER_A = 1003


@pytest.fixture
async def commune(session: AsyncSession, cipher) -> Commune:  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher)
    await session.commit()
    return commune


@pytest.fixture
async def elsewhere(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Another process's database access: an engine and sessions of its own."""
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


class Probe:
    """A dispatcher with the real middleware and one handler that writes down who asked."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.middleware = DatabaseMiddleware(session_factory)
        self.dispatcher = Dispatcher()
        self.dispatcher.update.outer_middleware(self.middleware)
        self.seen: list[tuple[int, int, list[tuple[str, int]]] | None] = []
        self.actors: list[Actor | None] = []
        router = Router()

        @router.message()
        async def who(message: Message, actor: Actor | None, session: AsyncSession) -> None:
            self.actors.append(actor)
            self.seen.append(None if actor is None else
                             (actor.member.id, actor.cell.id, sorted((role.value, org.id) for role, org in actor.roles)))

        self.dispatcher.include_router(router)
        self._ids = iter(range(1, 10_000))

    async def ask(self, person: int) -> tuple[int, int, list[tuple[str, int]]] | None:
        user = User(id=person, is_bot=False, first_name="Mai")
        update_id = next(self._ids)
        message = Message(message_id=update_id, date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=person, type="private"),
                          from_user=user, text="?")
        bot = Bot(TOKEN)
        try:
            await self.dispatcher.feed_update(bot, Update(update_id=update_id, message=message))
        finally:
            await bot.session.close()
        return self.seen[-1]


async def _version(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(DirectoryVersion.version).where(DirectoryVersion.id == 1)))


async def test_a_second_update_takes_the_actor_from_memory(session_factory, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    probe = Probe(session_factory)
    first = await probe.ask(SECRETARY_A)
    second = await probe.ask(SECRETARY_A)
    cell = commune.cells[0].org
    assert first == second == (commune.cells[0].secretary.id, cell.id, [("secretary", cell.id)])
    assert (probe.middleware.actors.misses, probe.middleware.actors.hits) == (1, 1)
    # The kept actor's objects belong to each update's own session, and are not the same objects twice.
    assert probe.actors[0] is not None and probe.actors[1] is not None
    assert probe.actors[0].member is not probe.actors[1].member
    assert probe.actors[1].member.full_name == commune.cells[0].secretary.full_name
    assert probe.actors[1].via == f"telegram:{SECRETARY_A}"


async def test_a_stranger_is_kept_as_nobody_until_linked(session_factory, elsewhere, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    probe = Probe(session_factory)
    assert await probe.ask(4242) is None
    assert await probe.ask(4242) is None
    assert probe.middleware.actors.hits == 1
    async with transaction(elsewhere) as session:  # linked in another process
        member = commune.cells[1].members[0]
        await session.execute(delete(ChannelLink).where(ChannelLink.member_id == member.id))
        session.add(ChannelLink(member_id=member.id, platform="telegram", platform_user_id="4242", chat_id="4242"))
    seen = await probe.ask(4242)
    assert seen is not None and seen[0] == commune.cells[1].members[0].id


async def test_a_role_revoked_in_another_process_stops_at_the_next_update(session_factory, elsewhere, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    probe = Probe(session_factory)
    cell = commune.cells[0].org
    assert (await probe.ask(SECRETARY_A) or (0, 0, []))[2] == [("secretary", cell.id)]
    async with transaction(elsewhere) as session:  # the ORM: the role row deleted through the unit of work
        role = (await session.execute(select(OrgRole).where(OrgRole.member_id == commune.cells[0].secretary.id))).scalar_one()
        await session.delete(role)
    assert (await probe.ask(SECRETARY_A) or (0, 0, ["?"]))[2] == []
    async with transaction(elsewhere) as session:  # and given back (an ORM insert)
        session.add(OrgRole(member_id=commune.cells[0].secretary.id, org_id=cell.id, role=RoleKind.DEPUTY))
    assert (await probe.ask(SECRETARY_A) or (0, 0, []))[2] == [("deputy", cell.id)]


async def test_bulk_and_raw_changes_take_effect_at_the_next_update(session_factory, elsewhere, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    probe = Probe(session_factory)
    member = commune.cells[0].members[0]
    cell_b = commune.cells[1].org
    assert (await probe.ask(MEMBER_A) or (0, 0, []))[1] == commune.cells[0].org.id
    async with transaction(elsewhere) as session:  # moved to the other cell by a bulk UPDATE
        await session.execute(update(Member).where(Member.id == member.id).values(org_id=cell_b.id))
    assert (await probe.ask(MEMBER_A) or (0, 0, []))[1] == cell_b.id
    async with transaction(elsewhere) as session:  # a role given in raw SQL
        await session.execute(text("INSERT INTO org_roles (member_id, org_id, role, created_at) VALUES (:m, :o, 'deputy', :now)"),
                              {"m": member.id, "o": cell_b.id, "now": utcnow().replace(tzinfo=None)})
    assert (await probe.ask(MEMBER_A) or (0, 0, []))[2] == [("deputy", cell_b.id)]
    async with transaction(elsewhere) as session:  # deactivated by a bulk UPDATE
        await session.execute(update(Member).where(Member.id == member.id).values(active=False))
    assert await probe.ask(MEMBER_A) is None
    assert probe.middleware.actors.hits == 0  # every one of these updates reloaded


async def test_an_organisation_renamed_elsewhere_is_seen_at_the_next_update(session_factory, elsewhere, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    probe = Probe(session_factory)
    await probe.ask(SECRETARY_A)
    async with transaction(elsewhere) as session:
        await session.execute(update(Org).where(Org.id == commune.cells[0].org.id).values(name="Chi bộ mới"))
    await probe.ask(SECRETARY_A)
    assert probe.actors[-1] is not None and probe.actors[-1].cell.name == "Chi bộ mới"


async def test_an_account_unlinked_by_another_python_process_stops_at_the_next_update(  # type: ignore[no-untyped-def]
    session_factory, database_url: str, commune: Commune,
) -> None:
    probe = Probe(session_factory)
    assert await probe.ask(SECRETARY_A) is not None
    script = textwrap.dedent(f"""
        import asyncio
        from sqlalchemy import text
        from core.db import create_engine

        async def main():
            engine = create_engine({database_url!r})
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM channel_links WHERE platform_user_id = '{SECRETARY_A}'"))
            await engine.dispose()

        asyncio.run(main())
    """)
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    assert await process.wait() == 0
    assert await probe.ask(SECRETARY_A) is None


async def test_what_delivery_writes_on_a_link_keeps_the_memory(session_factory, elsewhere, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    """A send that got through (or a 403) marks the account's reachability after every send: not part
    of who is asking, so it must not empty the memory of every process."""
    before = await _version(elsewhere)
    async with transaction(elsewhere) as session:
        await session.execute(update(ChannelLink).values(unreachable_since=utcnow()))
    assert await _version(elsewhere) == before
    async with transaction(elsewhere) as session:
        await session.execute(update(ChannelLink).where(ChannelLink.platform_user_id == "1001").values(platform_user_id="1001"))
    assert await _version(elsewhere) > before


async def test_the_version_changes_only_when_the_change_commits(session_factory, elsewhere, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    before = await _version(elsewhere)
    async with elsewhere() as session:
        await session.execute(update(Member).values(voice_enabled=False))
        await session.rollback()
    assert await _version(elsewhere) == before
    async with transaction(elsewhere) as session:
        await session.execute(update(Member).values(voice_enabled=False))
        await session.execute(update(Member).values(voice_enabled=True))
    assert await _version(elsewhere) > before


def _count_statements(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    return statements


async def test_a_kept_actor_saves_the_query_of_who_is_asking(engine, harness, session_factory, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    """Through the real dispatcher: the second 📅 Lịch họp runs one statement less, and not the
    query of who is asking."""
    statements = _count_statements(engine)
    await harness.text(MEMBER_A, texts.account.BTN_MEETINGS)
    first = list(statements)
    statements.clear()
    calls = await harness.text(MEMBER_A, texts.account.BTN_MEETINGS)
    second = list(statements)
    assert texts.meetings.NO_UPCOMING in "\n".join(texts_of(calls))
    assert len(second) == len(first) - 1, (first, second)
    assert any("channel_links" in s for s in first) and not any("channel_links" in s for s in second)


async def test_the_real_dispatcher_refuses_a_revoked_secretary_at_once(harness, elsewhere, commune: Commune) -> None:  # type: ignore[no-untyped-def]
    calls = await harness.text(SECRETARY_A, texts.account.BTN_MEETINGS)
    assert any(b.callback_data == "mtm:new:0" for b in _inline(calls))
    async with transaction(elsewhere) as session:
        await session.execute(delete(OrgRole).where(OrgRole.member_id == commune.cells[0].secretary.id))
    calls = await harness.text(SECRETARY_A, texts.account.BTN_MEETINGS)
    assert not any(b.callback_data == "mtm:new:0" for b in _inline(calls))


def _inline(calls: list[Any]) -> list[Any]:
    markup = [getattr(call, "reply_markup", None) for call in calls]
    return [button for m in markup if m is not None and hasattr(m, "inline_keyboard") for row in m.inline_keyboard for button in row]

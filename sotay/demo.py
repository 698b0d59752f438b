"""`sotay demo`: the sandbox, the bot and the API on loopback with a seeded demo commune and a few
weeks of its life (sotay/demo_content.py).

Nothing leaves the machine: the sandbox stands in for Telegram, and a web page served by the
API app lets a person act as any member or the secretary.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from pydantic import SecretStr
from sqlalchemy import func, select

from core.clock import SystemClock
from core.db import create_engine, create_session_factory, transaction
from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink, ProcessedUpdate
from core.orgs.service import member_by_card
from sandbox.server import SandboxServer
from core.resolutions.voice import default_renderer
from sotay import demo_content, demo_data
from sotay.migrate import upgrade_async
from sotay.serve import serve
from sotay.settings import Settings

log = logging.getLogger(__name__)
DEMO_TOKEN = "1000000001:DEMO_local_sandbox_token_not_secret"
DEMO_BOT = "sotay_demo_bot"
DEMO_ZALO_TOKEN = "1000000000000000001:DEMO_local_zalo_token_not_secret"
# Demo members who use Zalo (the messenger most elderly members have): their messages go there.
ZALO_CARDS = ("DEMO-006", "DEMO-012")  # not DEMO-008: the browser tests follow him on Telegram
ROLE_LABELS = {"secretary": "Bí thư", "deputy": "Phó bí thư"}


def demo_settings(settings: Settings, *, port: int, sandbox_url: str) -> Settings:
    data_dir = settings.data_dir / "demo"
    data_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(
        update={
            "demo": True,
            "data_dir": data_dir,
            "database_url": settings.database_url or f"sqlite+aiosqlite:///{(data_dir / 'demo.db').resolve()}",
            "telegram_token": SecretStr(DEMO_TOKEN),
            "telegram_api_base": sandbox_url,
            "bot_username": DEMO_BOT,
            "webhook_url": None,
            "webhook_secret": None,
            "zalo_token": SecretStr(DEMO_ZALO_TOKEN),
            "zalo_api_base": f"{sandbox_url}/zalo",
            "zalo_webhook_url": None,
            "zalo_webhook_secret": None,
            "http_port": port,
            "tick_seconds": min(settings.tick_seconds, 5.0),
        }
    )


async def seed_demo(settings: Settings, sandbox: SandboxServer) -> str | None:
    """Seed members, what the commune has been doing (demo_content) and the members' simulated
    phones; returns the invite code of the one not yet linked (None once a visitor linked them)."""
    from core.crypto import FieldCipher

    await upgrade_async(settings.resolved_database_url)
    sandbox_bot = sandbox.world.bots[DEMO_TOKEN]
    engine = create_engine(settings.resolved_database_url)
    try:
        session_factory = create_session_factory(engine)
        async with transaction(session_factory) as session:
            cipher = FieldCipher(settings.secret_key_value())
            await demo_data.seed(session, cipher)
            # Who is linked now: a visitor may have linked the unlinked member during an earlier start.
            linked_ids = set((await session.execute(select(ChannelLink.member_id).where(ChannelLink.platform == "telegram"))).scalars())
            linked = {p.card for p in demo_data.PEOPLE if (await member_by_card(session, p.card)).id in linked_ids}
            unlinked = next((p for p in demo_data.PEOPLE if p.card not in linked), None)
            zalo_linked = await _link_zalo_people(session)
            invite = None
            if unlinked is not None:
                invite = await create_invite(session, member=await member_by_card(session, unlinked.card), now=dt.datetime.now(dt.timezone.utc))
            # A second start on the same data directory meets a new sandbox whose update ids would
            # start at 1 again, and the bot skips ids it has handled: number on after them.
            handled = await session.scalar(select(func.max(ProcessedUpdate.update_id)).where(ProcessedUpdate.bot_id == sandbox_bot.id))
            sandbox_bot.updates.continue_after(handled or 0)
        # The process's renderer for DATA_DIR/audio, as `sotay run` builds it: the bot replays from its cache.
        renderer = default_renderer(str(settings.data_dir / "audio"), settings.tts)
        report = await demo_content.seed_content(session_factory, renderer=renderer, now=SystemClock().now())
        log.info(
            "demo content seeded in %.2f s (voice %.2f s): %s", report.seconds["total"], report.seconds.get("voice", 0.0),
            "; ".join(report.done) or "nothing new",
        )
    finally:
        await engine.dispose()
    for person in demo_data.PEOPLE:
        role = ROLE_LABELS.get(person.role.value if person.role else "", "Đảng viên")
        notes = [role, person.cell]
        if person.exempt:
            notes.append("miễn sinh hoạt")
        if person.card not in linked and invite is not None:
            notes.append(f"chưa liên kết — gõ /start {invite.code}")
        sandbox.world.add_user(user_id=demo_data.user_id_of(person), first_name=person.name, phone_number=person.phone,
                               label=" · ".join(notes))
        if person.card in linked:
            # Linked members started the bot when they linked (in real Telegram a bot cannot write
            # to someone who never did): their /start waits for the bot, whose answer brings the
            # home keyboard, so whatever the bot pushes first, their buttons are there.
            sandbox.people.send_text(sandbox_bot, demo_data.user_id_of(person), "/start")
    _zalo_phones(sandbox, linked_zalo=zalo_linked, unlinked=unlinked if invite is not None else None, code=invite.code if invite else None)
    return invite.code if invite is not None else None


def zalo_id_of(person: demo_data.DemoPerson) -> str:
    return f"zalodemo{person.card[-3:]}"


async def _link_zalo_people(session) -> set[str]:  # type: ignore[no-untyped-def]
    """A few demo members on Zalo (linked after Telegram, so their messages go to Zalo)."""
    linked = set()
    for person in demo_data.PEOPLE:
        if person.card not in ZALO_CARDS:
            continue
        member = await member_by_card(session, person.card)
        zalo_id = zalo_id_of(person)
        if await session.scalar(select(ChannelLink.id).where(ChannelLink.platform == "zalo", ChannelLink.member_id == member.id)) is None:
            session.add(ChannelLink(member_id=member.id, platform="zalo", platform_user_id=zalo_id, chat_id=zalo_id,
                                    linked_at=dt.datetime.now(dt.timezone.utc)))
        linked.add(person.card)
    return linked


def _zalo_phones(sandbox: SandboxServer, *, linked_zalo: set[str], unlinked: demo_data.DemoPerson | None, code: str | None) -> None:
    """Zalo phones beside the Telegram ones: the Zalo members, and the unlinked member's Zalo, where
    they type their invite code."""
    zalo = sandbox.zalo
    bot = zalo.world.bot(DEMO_ZALO_TOKEN)
    for person in demo_data.PEOPLE:
        if person.card in linked_zalo:
            label = f"{person.cell} · dùng Zalo"
        elif unlinked is not None and person.card == unlinked.card:
            label = f"{person.cell} · chưa liên kết — gõ mã {code}"
        else:
            continue
        if zalo_id_of(person) not in zalo.world.people:
            zalo.world.add_person(display_name=person.name, person_id=zalo_id_of(person), label=label,
                                  telegram_id=demo_data.user_id_of(person))
        if person.card in linked_zalo:
            # As on Telegram: a bot may write only to someone who wrote first; the answer is the menu.
            zalo.people.send_text(bot, zalo_id_of(person), "Xin chào")


async def run_demo(settings: Settings, *, port: int, sandbox_port: int, duration: float | None = None) -> None:
    sandbox = SandboxServer(port=sandbox_port, bots={DEMO_TOKEN: DEMO_BOT}, zalo_bots={DEMO_ZALO_TOKEN: "Sổ tay"})
    await sandbox.start()
    try:
        settings = demo_settings(settings, port=port, sandbox_url=sandbox.base_url)
        code = await seed_demo(settings, sandbox)
        stop = asyncio.Event()
        page = f"http://{settings.http_host}:{port}/"
        link = f"; the unlinked member can link with /start {code}, or type {code} on Zalo" if code else ""
        print(
            "\n  Sổ tay demo is running — nothing leaves this machine.\n"
            f"  Open {page} in a browser and pick a person on the left.\n"
            f"  (sandbox Bot API: {sandbox.base_url}{link})\n"
            "  Stop with Ctrl+C.\n",
            flush=True,
        )
        if duration is not None:
            asyncio.get_running_loop().call_later(duration, stop.set)
        await serve(settings, stop=stop, services={"sandbox_url": sandbox.base_url})
    finally:
        with contextlib.suppress(Exception):
            await sandbox.stop()

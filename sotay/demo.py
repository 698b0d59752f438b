"""`sotay demo`: the sandbox, the bot and the API on loopback with a seeded demo commune and a few
weeks of its life (sotay/demo_content.py).

Nothing leaves the machine: the sandbox stands in for Telegram, and a web page served by the
API app lets a person act as any member or the secretary.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import ipaddress
import logging
import secrets
import shutil
import socket
from pathlib import Path
from typing import Any

import httpx

from pydantic import SecretStr
from sqlalchemy import func, select

from core.clock import SystemClock
from core.db import create_engine, create_session_factory, transaction
from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink, ProcessedUpdate
from core.orgs.service import member_by_card
from sandbox import persist
from sandbox.limits import Limits
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
HALL_RATE = 300.0
DEMO_SEND_RATE = 150.0
COMMITTEE_LABEL = "Đảng ủy viên xã"  # sits on the commune committee


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
            # the sandbox's hall rate (run_demo), not Telegram's: invitations reach a room of trainees in seconds
            "send_rate_per_second": max(settings.send_rate_per_second, DEMO_SEND_RATE),
        }
    )


async def seed_demo(settings: Settings, sandbox: SandboxServer) -> str | None:
    """Seed members, what the commune has been doing (demo_content) and the members' simulated
    phones; returns the invite code of the one not yet linked (None once a visitor linked them)."""

    await upgrade_async(settings.resolved_database_url)
    sandbox_bot = sandbox.world.bots[DEMO_TOKEN]
    engine = create_engine(settings.resolved_database_url)
    try:
        session_factory = create_session_factory(engine)
        async with transaction(session_factory) as session:
            cipher = settings.field_cipher()
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
        if person.committee:
            notes.insert(1, COMMITTEE_LABEL)
        if person.exempt:
            notes.append("miễn sinh hoạt")
        if person.card not in linked and invite is not None:
            notes.append(f"chưa liên kết — gõ /start {invite.code}")
        sandbox.world.add_user(user_id=demo_data.user_id_of(person), first_name=person.name, phone_number=person.phone,
                               label=" · ".join(notes))
        chat = sandbox.world.existing_chat(sandbox_bot, demo_data.user_id_of(person))
        if person.card in linked and (chat is None or not chat.entries):
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
        chat = zalo.world.chats.get((DEMO_ZALO_TOKEN, zalo_id_of(person)))
        if person.card in linked_zalo and (chat is None or not chat.entries):
            # As on Telegram: a bot may write only to someone who wrote first; the answer is the menu.
            zalo.people.send_text(bot, zalo_id_of(person), "Xin chào")


class DemoPortInUse(Exception):
    """A port the demo needs is taken; the message names the option that picks another."""


def _check_port(host: str, port: int, option: str) -> None:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        probe = socket.create_server((host, port), family=family)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DemoPortInUse(f"port {port} is already in use (another sotay demo or another program): "
                                f"choose another with {option} PORT") from None
        raise DemoPortInUse(f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another with {option} PORT") from None
    probe.close()


def reset_demo(settings: Settings) -> Path:
    """`sotay demo --reset`: forget the demo's database, chats and files for a fresh start."""
    folder = settings.data_dir / "demo"
    if folder.exists():
        shutil.rmtree(folder)
    return folder


async def _api_token(settings: Settings) -> str:
    """A personal API token of the demo's secretary, kept in the demo's folder and reused while valid."""
    from core.orgs.tokens import authenticate, create_token

    path = settings.data_dir / "api-token.txt"
    engine = create_engine(settings.resolved_database_url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            now = dt.datetime.now(dt.timezone.utc)
            if path.exists():
                kept = path.read_text().strip()
                if kept and await authenticate(session, kept, now=now) is not None:
                    return kept
            secretary = await member_by_card(session, demo_data.PEOPLE[0].card)
            issued = await create_token(session, member=secretary, now=now, name="sotay demo", ttl=dt.timedelta(days=365))
    finally:
        await engine.dispose()
    path.write_text(issued.token + "\n")
    path.chmod(0o600)
    return issued.token


def _trainer_key(settings: Settings) -> str:
    """The secret in the trainer's link (a trainee's phone cannot open the trainer's page), kept across restarts."""
    path = settings.data_dir / "trainer-key.txt"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    key = secrets.token_urlsafe(9)
    path.write_text(key + "\n")
    return key


async def _wait_until_answering(urls: list[str], stop: asyncio.Event, timeout: float = 300.0) -> bool:
    """True once every URL answers (any HTTP status): only then is an address worth printing."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        pending = list(urls)
        while pending and not stop.is_set() and asyncio.get_running_loop().time() < deadline:
            try:
                await client.get(pending[0])
                pending.pop(0)
                continue
            except httpx.HTTPError:
                pass
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
    return not pending


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, as its own name resolves (no packet is sent)."""
    found: list[str] = []
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not address.startswith("127.") and address not in found:
                found.append(address)
    return found


def valid_lan_address(address: str) -> bool:
    """An address given by hand with --lan-address: an IPv4 address a phone can reach (not loopback)."""
    try:
        parsed = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return not (parsed.is_loopback or parsed.is_unspecified or parsed.is_multicast)


def shown_lan_address(given: str | None) -> str:
    """The address printed for the room's phones: the trainer's own, else the first this machine has."""
    return given or (lan_addresses() or ["127.0.0.1"])[0]


async def _save_sandbox_every(folder: Path, sandbox: SandboxServer, stop: asyncio.Event, seconds: float = 5.0) -> None:
    saved = (-1, -1)
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        now = (sandbox.world.version, sandbox.zalo.world.version)
        if now != saved:
            await asyncio.to_thread(persist.save, folder, sandbox.world, sandbox.zalo.world)
            saved = now


async def run_demo(settings: Settings, *, port: int, sandbox_port: int, duration: float | None = None,
                   lan: bool = False, lan_address: str | None = None) -> None:
    host = "0.0.0.0" if lan else settings.http_host  # noqa: S104 - `--lan` asks for exactly that
    _check_port(host, port, "--port")
    _check_port(host, sandbox_port, "--sandbox-port")
    # The sandbox stands in for Telegram in a training hall: a whole room's phones at once, so a bot may
    # send HALL_RATE messages a second here (Telegram allows about 30); per chat, Telegram's limits stay.
    limits = Limits(per_bot_per_second=HALL_RATE, per_bot_burst=HALL_RATE)
    sandbox = SandboxServer(host=host, port=sandbox_port, limits=limits, bots={DEMO_TOKEN: DEMO_BOT},
                            zalo_bots={DEMO_ZALO_TOKEN: "Sổ tay"})
    folder = settings.data_dir / "demo"
    restored = persist.load(folder, sandbox.world, sandbox.zalo.world)
    try:
        await sandbox.start()
    except OSError as exc:
        raise DemoPortInUse(f"port {sandbox_port} cannot be used ({exc.strerror or exc}): choose another with --sandbox-port PORT") from None
    stop = asyncio.Event()
    saving = asyncio.create_task(_save_sandbox_every(folder, sandbox, stop))
    try:
        local_sandbox = f"http://127.0.0.1:{sandbox.port}"
        settings = demo_settings(settings, port=port, sandbox_url=local_sandbox)
        if lan:
            settings = settings.model_copy(update={"http_host": host})
        code = await seed_demo(settings, sandbox)
        if restored:
            log.info("demo chats restored from %s", folder)
        token = await _api_token(settings)
        trainer_key = _trainer_key(settings)

        rooms: list[Any] = []

        def training_room(runtime: Any) -> Any:
            from sotay.training import Phones, Room

            room = Room(session_factory=runtime.session_factory, cipher=runtime.cipher, phones=Phones(sandbox, DEMO_TOKEN, DEMO_ZALO_TOKEN),
                        folder=settings.data_dir, key=trainer_key)
            room.restore_phones()
            rooms.append(room)
            return room
        shown_host = shown_lan_address(lan_address) if lan else settings.http_host
        page = f"http://{shown_host}:{port}/"
        link = f"; the unlinked member can link with /start {code}, or type {code} on Zalo" if code else ""
        lines = [
            "",
            "  Sổ tay demo is running — nothing leaves this machine.",
            f"  Open {page} in a browser and pick a person on the left.",
            f"  Secretaries: the web console {page}console · the API {page}docs with the token",
            f"    {token}",
            f"  Training ground (the trainer's page, its QR code for the phones): {page}training?key={trainer_key}",
        ]
        if lan:
            lines.append("  ⚠ --lan: phones on this local network can open it. PRACTICE DATA ONLY — never real members' data.")
        lines += [f"  (sandbox Bot API: {local_sandbox}{link})", "  Stop with Ctrl+C; `sotay demo --reset` starts afresh.", ""]

        async def announce() -> None:
            urls = [f"http://127.0.0.1:{port}/healthz", f"{local_sandbox}/sandbox/health"]
            if await _wait_until_answering(urls, stop):
                print("\n".join(lines), flush=True)

        announcing = asyncio.create_task(announce())
        if duration is not None:
            asyncio.get_running_loop().call_later(duration, stop.set)
        try:
            await serve(settings, stop=stop, services={"sandbox_url": local_sandbox, "sandbox_port": sandbox.port,
                                                     "training": training_room})
        finally:
            announcing.cancel()
            for room in rooms:
                room.flush()  # lesson progress not yet written
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await saving
        with contextlib.suppress(Exception):
            await sandbox.stop()
        with contextlib.suppress(Exception):
            persist.save(folder, sandbox.world, sandbox.zalo.world)

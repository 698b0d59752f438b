"""The composition root: builds every long-lived object once and hands them out."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import Clock, SystemClock, set_local_tz
from core.crypto import FieldCipher
from core.db import create_engine, create_session_factory
from sotay.settings import Settings

if TYPE_CHECKING:
    from core.media_links import MediaLinks

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    cipher: FieldCipher
    clock: Clock
    bot: Bot | None = None
    dispatcher: Dispatcher | None = None
    services: dict[str, Any] = field(default_factory=dict)
    # Outbound messengers other than Telegram's (built from `bot`), by platform: {"zalo": …}. The
    # delivery worker sends each outbox row with its platform's messenger.
    messengers: dict[str, Any] = field(default_factory=dict)
    shared_turns: Any = None  # bot.middlewares.RedisTurns when Redis is configured
    zalo: Any = None  # bot.zalo.wiring.ZaloChannel when SOTAY_ZALO_TOKEN is set (same dispatcher as Telegram's)

    @functools.cached_property
    def media_links(self) -> MediaLinks:
        """Signed, expiring links to voice notes and files (DATA_DIR/media), served by the API's
        /m/ pages: what a channel without voice or file sending (Zalo) sends instead."""
        from core.media_links import MediaLinks

        return MediaLinks(
            self.settings.secret_key_value().encode(), self.settings.resolved_public_url, self.settings.data_dir / "media",
            dt.timedelta(hours=self.settings.media_link_hours), clock=self.clock,
            old_secrets=[key.encode() for key in self.settings.old_secret_key_values()],
        )

    async def close(self) -> None:
        if self.bot is not None:
            from bot import background

            try:  # a voice note being made for someone is finished before the bot's session closes
                await asyncio.wait_for(background.drain(), timeout=30)
            except asyncio.TimeoutError:
                pass
            await self.bot.session.close()
        if self.zalo is not None:
            await self.zalo.close()
        if self.shared_turns is not None:
            await self.shared_turns.close()
        await self.engine.dispose()


def build_runtime(
    settings: Settings, *, clock: Clock | None = None, with_bot: bool = True, services: dict[str, Any] | None = None
) -> Runtime:
    # Core reads the local time zone from one place (core.clock.local_tz): set it from the settings.
    set_local_tz(settings.tz)
    engine = create_engine(settings.resolved_database_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        cipher=settings.field_cipher(),
        clock=clock or SystemClock(),
        services=dict(services or {}),
    )
    if with_bot and (settings.telegram_token is not None or settings.zalo_token is not None):
        from bot.dispatcher import build_dispatcher, create_bot, create_storage
        from bot.middlewares import RedisTurns
        from core.resolutions.voice import default_renderer

        if settings.telegram_token is not None:
            runtime.bot = create_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base)
        if settings.redis_url:
            runtime.shared_turns = RedisTurns.from_url(settings.redis_url)
        runtime.dispatcher = build_dispatcher(
            session_factory=runtime.session_factory,
            cipher=runtime.cipher,
            clock=runtime.clock,
            storage=create_storage(settings.redis_url),
            shared_turns=runtime.shared_turns,
            settings=settings,
            paid_broadcast_price=settings.paid_broadcast_price,  # urgent notices' paid broadcasts (core/notices/paid.py)
            console_base=settings.resolved_public_url,  # sign-in links to the web console (bot/routers/home.py)
            # The process's one renderer for DATA_DIR/audio (the API uses the same): shared per-text locks.
            voice_renderer=default_renderer(str(settings.voice_cache_dir), settings.tts),
        )
        if settings.zalo_token is not None:
            _build_zalo(runtime)
    return runtime


def _build_zalo(runtime: Runtime) -> None:
    """Zalo on the same Dispatcher (the same routers, FSM storage and per-person turns) as Telegram."""
    from bot.zalo.wiring import build_zalo

    settings = runtime.settings
    assert settings.zalo_token is not None and runtime.dispatcher is not None
    runtime.zalo = build_zalo(
        settings.zalo_token.get_secret_value(), settings.zalo_api_base, dispatcher=runtime.dispatcher,
        session_factory=runtime.session_factory, clock=runtime.clock, media=_media_links(runtime),
    )
    runtime.messengers["zalo"] = runtime.zalo.messenger


def _media_links(runtime: Runtime) -> Any:
    """Signed listen/download links for what Zalo cannot carry (voice, files)."""
    from bot.zalo.media import LinkPublisher

    return LinkPublisher(runtime.media_links)

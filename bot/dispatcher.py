"""Builds the aiogram Bot and Dispatcher with every router, in the order they must match."""

from __future__ import annotations

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import limits
from bot.callback_guard import ImpossibleIds, gate_buttons_by_prefix
from bot.filters import run_filters_inline
from bot.handler_index import gate_routers, index_handlers
from bot.middlewares import CommitBeforeSending, DatabaseMiddleware, RedisTurns
from bot.patience import PatientReplies
from bot.response_models import KeepResponseModels
from bot.zalo.files import PortableFiles
from bot.routers import account, fallback, home, placeholders
from bot.routers import feedback
from bot.routers import meetings
from bot.routers import notices
from bot.routers import recordings, reminders, reports, resolutions
from bot.routers import review, votes
from core import texts
from core.clock import Clock
from core.crypto import FieldCipher


def create_bot(token: str, api_base: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    # Outermost first: the handler's transaction is committed before anything leaves (bot/middlewares.py);
    # each part of a text split to fit Telegram's limits waits out its own flood limit.
    session.middleware(CommitBeforeSending())
    session.middleware(limits.FitToLimits())
    session.middleware(PatientReplies())
    session.middleware(PortableFiles())  # a Zalo member's photo shown to someone on Telegram
    session.middleware(KeepResponseModels())  # aiogram's answer models are not rebuilt after each garbage collection
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


def create_storage(redis_url: str | None) -> BaseStorage:
    if redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        from core.redis_clients import connect

        return RedisStorage(redis=connect(redis_url))
    return MemoryStorage()


def domain_routers() -> list[Router]:
    """Feature routers, one per domain, built fresh for each dispatcher (a Router attaches only once)."""
    return [
        recordings.build(),  # its voice messages are taken only while a recording is awaited
        feedback.build(),
        meetings.build(),
        reminders.build(),
        notices.build(),
        resolutions.build(),
        reports.build(),
        votes.build(),
        review.build(),
    ]


def build_dispatcher(
    *,
    session_factory: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    clock: Clock,
    storage: BaseStorage | None = None,
    shared_turns: RedisTurns | None = None,
    **services: object,
) -> Dispatcher:
    """`shared_turns`: with several bot processes (webhook workers), a person's updates take turns
    across all of them, not just within this one."""
    dispatcher = Dispatcher(storage=storage or MemoryStorage())
    dispatcher["cipher"] = cipher
    dispatcher["clock"] = clock
    dispatcher["session_factory"] = session_factory
    for name, service in services.items():
        dispatcher[name] = service
    dispatcher.update.outer_middleware(DatabaseMiddleware(session_factory, shared_turns=shared_turns))
    from bot.zalo import limits as zalo_limits

    dispatcher.callback_query.outer_middleware(ImpossibleIds())  # forged button data, refused once for every router
    dispatcher.include_routers(account.build(), home.build(), zalo_limits.build(), *domain_routers(), placeholders.build(), fallback.build())
    gate_buttons_by_prefix(dispatcher)  # a press is checked only by the routers that take its prefix
    run_filters_inline(dispatcher)  # not one thread hand-off per `F.…` filter tried
    index_handlers(dispatcher)  # a menu text or a button tries only the handlers that can take it
    gate_routers(dispatcher)  # and only the routers that have one of them
    return dispatcher


async def register_commands(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command=name, description=text) for name, text in texts.account.COMMANDS.items()])

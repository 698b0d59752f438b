"""What Zalo cannot carry: flows that need files uploaded by the secretary (publishing a resolution)
are answered politely on a messenger without file sending, before the flow's own router sees them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from core import texts

# Callback data that starts a flow needing file uploads (see bot/routers/resolutions/common.py ResMenu).
NEEDS_FILES = ("rm:publish",)
# Prefixes of steps that wait for a voice message, which a Zalo member cannot send to the bot: a
# person's reading of a document, a notice or conclusions (bot/routers/recordings); Zalo secretaries
# upload readings in the web console.
NEEDS_VOICE = ("rec:pick:", "rs:pick:")


async def _without_files(query: CallbackQuery, platform: str) -> bool:
    return platform == "zalo"


async def not_here(query: CallbackQuery) -> None:
    await query.answer(texts.conversation.NOT_HERE, show_alert=True)


def build() -> Router:
    router = Router(name="zalo-limits")
    router.callback_query.register(not_here, F.data.in_(NEEDS_FILES), _without_files)
    router.callback_query.register(not_here, F.data.startswith(NEEDS_VOICE), _without_files)
    return router

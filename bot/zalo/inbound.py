"""A Zalo update → an aiogram `Update` fed to the same Dispatcher as Telegram's.

A typed reply that selects a choice on the newest screen the person had already received when they
wrote becomes what a tap would have been (a callback query, a reply-keyboard text, a poll answer);
anything else becomes a text message, so "type your reason" flows work unchanged.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any, TypedDict

from aiogram import Bot, Dispatcher
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from aiogram.types import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, PhotoSize, PollAnswer, Sticker, Update, User

from bot.middlewares import PersonQueue
from bot.zalo import memory
from bot.zalo.choices import Choice, Selection, select, typed_number
from bot.zalo.courier import ZaloCourier, from_ms, wall_clock
from bot.zalo.session import URL_FILE
from core import texts
from core.limits import TELEGRAM
from core.conversation.models import ChannelScreen
from core.orgs.models import ProcessedUpdate

log = logging.getLogger(__name__)
MAX_TEXT = TELEGRAM.text  # what a Telegram text may hold: the routers were written for that


class MessageBase(TypedDict):
    """What every translated `Message` carries, typed so `Message(**base, ...)` is checked."""

    message_id: int
    date: datetime
    chat: Chat
    from_user: User


def update_id_of(message_id: str) -> int:
    """A stable positive 60-bit id from Zalo's message id (20 hex characters, more than a BIGINT)."""
    return int(hashlib.sha256(f"zalo:{message_id}".encode()).hexdigest()[:15], 16)


def unwrap(body: dict[str, Any]) -> dict[str, Any]:
    """Webhook bodies come as `{"ok", "result": update}` or as the bare update."""
    if "event_name" not in body and isinstance(body.get("result"), dict):
        return body["result"]
    return body


class ZaloInbound:
    def __init__(self, courier: ZaloCourier, dispatcher: Dispatcher, bot: Bot) -> None:
        self.courier = courier
        self.dispatcher = dispatcher
        self.bot = bot
        # One message at a time per person, so "2" then a typed reason meet the screens in order.
        self.queue = PersonQueue()

    async def handle(self, body: dict[str, Any]) -> None:
        update = unwrap(body)
        message = update.get("message") if isinstance(update.get("message"), dict) else None
        if message is None:
            log.info("zalo update without a message ignored (%s)", update.get("event_name"))
            return
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        zalo_user = str(sender.get("id") or chat.get("id") or "")
        if not zalo_user or (chat.get("chat_type") and str(chat.get("chat_type")).upper() != "PRIVATE") or sender.get("is_bot"):
            log.info("zalo update from a group or a bot ignored")
            return
        async with self.queue.turn(zalo_user):
            translated = await self.translate(update, message, zalo_user, str(sender.get("display_name") or sender.get("first_name") or ""))
            if translated is not None:
                await self.dispatcher.feed_update(self.bot, translated)
            if translated is not None and translated.poll_answer is not None:
                await self.courier.send_next_queued(zalo_user)  # the quiz's next question

    async def translate(self, update: dict[str, Any], message: dict[str, Any], zalo_user: str, name: str) -> Update | None:
        now = wall_clock()
        written_at = from_ms(message.get("date"), now)
        message_key = str(message.get("message_id") or f"{zalo_user}:{message.get('date')}")
        update_id = update_id_of(message_key)
        async with self.courier.session_factory() as session:
            if await self._already_handled(session, update_id):
                log.info("zalo update %s already handled; ignoring redelivery", update_id)
                return None
            peer = await memory.peer_id(session, zalo_user, name)
            screen = await memory.seen_at(session, chat_id=zalo_user, at=written_at)
            menu = await memory.newest_with_reply_keyboard(session, chat_id=zalo_user, at=written_at)
            await session.commit()
        self.courier.remember_peer(peer, zalo_user)
        user = User(id=peer, is_bot=False, first_name=name or "Zalo", language_code="vi")
        chat = Chat(id=peer, type="private")
        base = MessageBase(message_id=update_id % 2_000_000_000, date=written_at, chat=chat, from_user=user)
        event = str(update.get("event_name") or "")
        if event == "message.image.received" or (message.get("photo") and not message.get("text")):
            url = str(message.get("photo") or message.get("photo_url") or message.get("url") or "")
            photo = PhotoSize(file_id=URL_FILE + url, file_unique_id=hashlib.sha256(url.encode()).hexdigest()[:32], width=1, height=1)
            return Update(update_id=update_id, message=Message(**base, photo=[photo], caption=message.get("caption")))
        if event == "message.sticker.received":
            sticker_id = str(message.get("sticker") or "sticker")
            sticker = Sticker(file_id=URL_FILE + str(message.get("url") or ""), file_unique_id=sticker_id[:64], type="regular",
                              width=512, height=512, is_animated=False, is_video=False)
            return Update(update_id=update_id, message=Message(**base, sticker=sticker))
        text = message.get("text")
        if not isinstance(text, str) or event not in ("", "message.text.received"):
            return Update(update_id=update_id, message=Message(**base))  # unsupported: the fallback answers politely
        if len(text) > MAX_TEXT:
            await self.courier.send_screen(zalo_user, texts.conversation.TEXT_TOO_LONG.format(length=len(text), limit=MAX_TEXT),
                                           is_html=False, remember=False, patient=True)
            await self._handled(update_id)
            return None
        choices = memory.choices_of(screen) if screen is not None else []
        selection = select(text, choices)
        if selection.outcome == "none" and menu is not None and typed_number(text) is None and menu is not screen:
            menu_selection = select(text, [c for c in memory.choices_of(menu) if c.kind == "reply"])
            if menu_selection.outcome == "chosen":
                selection, screen = menu_selection, menu
        if selection.outcome in ("wrong_number", "ambiguous") and screen is not None:
            await self._repeat(zalo_user, screen, text, selection)
            await self._handled(update_id)
            return None
        if selection.outcome == "chosen" and screen is not None and selection.choice is not None:
            return await self._chosen(update_id, base, user, screen, selection.choice)
        return Update(update_id=update_id, message=Message(**base, text=text))

    async def _chosen(self, update_id: int, base: MessageBase, user: User, screen: ChannelScreen, choice: Choice) -> Update:
        if choice.kind == "reply":
            return Update(update_id=update_id, message=Message(**base, text=choice.value))
        if choice.kind == "poll":
            async with self.courier.session_factory() as session:
                await memory.answered(session, screen.id)  # a quiz question takes one answer
                await session.commit()
            return Update(update_id=update_id, poll_answer=PollAnswer(poll_id=screen.poll_id or "", user=user, option_ids=[int(choice.value)],
                                                                 option_persistent_ids=[choice.value]))
        rows = [[InlineKeyboardButton(text=c.label, callback_data=c.value)] for c in memory.choices_of(screen) if c.kind == "callback"]
        shown = Message(
            message_id=screen.id, date=screen.sent_at, chat=base["chat"],
            from_user=User(id=self.bot.id, is_bot=True, first_name="Sổ tay"), text=screen.text,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None,
        )
        query = CallbackQuery(id=f"z{user.id}-{update_id}", from_user=user, chat_instance=f"zalo-{user.id}", data=choice.value, message=shown)
        return Update(update_id=update_id, callback_query=query)

    async def _already_handled(self, session: AsyncSession, update_id: int) -> bool:
        found = await session.scalar(
            sql_select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == self.bot.id, ProcessedUpdate.update_id == update_id)
        )
        return found is not None

    async def _handled(self, update_id: int) -> None:
        """Answered here without the dispatcher: remembered as the middleware does, so a redelivered
        webhook does not answer twice."""
        async with self.courier.session_factory() as session:
            session.add(ProcessedUpdate(bot_id=self.bot.id, update_id=update_id))
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()

    async def _repeat(self, chat: str, screen: ChannelScreen, typed: str, selection: Selection) -> None:
        """Nothing selected: say so and show the same choices again (as a new screen with the same
        meaning, so the next number answers it)."""
        template = texts.conversation.WRONG_CHOICE if selection.outcome == "wrong_number" else texts.conversation.AMBIGUOUS_CHOICE
        intro = template.format(typed=typed.strip()[:20])
        await self.courier.send_screen(chat, intro, choices=memory.choices_of(screen), is_html=False, poll_id=screen.poll_id,
                                       memo_text=screen.text, patient=True)

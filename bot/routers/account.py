"""Linking an account (/start with a code, a code typed into the chat, or sharing one's own phone)
and the home menu. The same handlers serve every messenger: the platform and the person's id on it
come from the middleware."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from core import texts
from core.clock import Clock
from core.crypto import FieldCipher
from core.errors import DomainError
from core.orgs import linking
from core.orgs.models import Member
from core.orgs.service import Actor, load_actor
from bot.routers.home import send_digest

async def _show_linked(message: Message, session: AsyncSession, result: linking.LinkResult) -> None:
    actor = await load_actor(session, result.member)
    template = texts.account.ALREADY_LINKED if result.already_linked else texts.account.LINKED
    await message.answer(template.format(name=result.member.full_name, cell=result.cell.name), reply_markup=kb.home(actor))
    await send_digest(message, session, result)  # what was sent before the link (core.catchup)


async def _redeem(message: Message, code: str, session: AsyncSession, clock: Clock, platform: str, platform_user_id: str,
                  platform_chat_id: str) -> None:
    try:
        result = await linking.redeem_invite(
            session, code=code, platform=platform, platform_user_id=platform_user_id, chat_id=platform_chat_id, now=clock.now()
        )
    except DomainError as refusal:
        await message.answer(refusal.message, reply_markup=kb.share_phone())
        return
    await _show_linked(message, session, result)


async def start_with_code(
    message: Message, command: CommandObject, session: AsyncSession, clock: Clock, member: Member | None, actor: Actor | None,
    platform: str, platform_user_id: str, platform_chat_id: str,
) -> None:
    if member is not None and actor is not None:
        await message.answer(texts.account.ALREADY_LINKED.format(name=member.full_name), reply_markup=kb.home(actor))
        return
    await _redeem(message, command.args or "", session, clock, platform, platform_user_id, platform_chat_id)


async def typed_code(
    message: Message, session: AsyncSession, clock: Clock, platform: str, platform_user_id: str, platform_chat_id: str
) -> None:
    """An unlinked person typed their invite code into the chat (Zalo has no deep links)."""
    await _redeem(message, message.text or "", session, clock, platform, platform_user_id, platform_chat_id)


async def _unlinked(message: Message, member: Member | None) -> bool:
    return member is None


async def _unlinked_without_buttons(message: Message, member: Member | None, platform: str) -> bool:
    return member is None and platform != "telegram"


async def welcome_without_buttons(message: Message) -> None:
    """Zalo cannot share a contact or open a link: an unlinked person is asked to type the code."""
    await message.answer(texts.conversation.NOT_LINKED)


async def start(message: Message, state: FSMContext, member: Member | None, actor: Actor | None) -> None:
    # /start is the way home from anywhere: it ends whatever multi-step flow was under way.
    await state.clear()
    if member is None:
        await message.answer(texts.account.WELCOME_UNLINKED, reply_markup=kb.share_phone())
        return
    await message.answer(texts.account.HOME, reply_markup=kb.home(actor))


async def shared_contact(
    message: Message, session: AsyncSession, clock: Clock, cipher: FieldCipher, member: Member | None, actor: Actor | None,
    platform: str, platform_user_id: str, platform_chat_id: str,
) -> None:
    assert message.contact is not None
    if member is not None:
        await message.answer(texts.account.ALREADY_LINKED.format(name=member.full_name), reply_markup=kb.home(actor))
        return
    try:
        result = await linking.link_by_contact(
            session,
            cipher=cipher,
            phone=message.contact.phone_number,
            contact_user_id=str(message.contact.user_id) if message.contact.user_id else None,
            platform=platform,
            platform_user_id=platform_user_id,
            chat_id=platform_chat_id,
            now=clock.now(),
        )
    except DomainError as refusal:
        await message.answer(refusal.message, reply_markup=kb.share_phone())
        return
    await _show_linked(message, session, result)


def build() -> Router:
    router = Router(name="account")
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.message.register(start, CommandStart())
    router.message.register(shared_contact, F.contact)
    router.message.register(typed_code, F.text.func(linking.looks_like_invite_code), _unlinked)
    router.message.register(welcome_without_buttons, _unlinked_without_buttons)
    return router

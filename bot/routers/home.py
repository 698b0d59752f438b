"""The linked member's home: profile and help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import or_f
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked
from bot.routers.resolutions import voice_settings_markup
from core import texts
from core.clock import Clock
from core.crypto import FieldCipher
from core.orgs.models import Member
from core.orgs.service import Actor, ProfileView, profile_of, set_preferred_channel
from core.ports import Button


class ChannelChoice(CallbackData, prefix="chn"):
    platform: str


def channel_name(platform: str) -> str:
    return texts.account.CHANNEL_NAMES.get(platform, platform)


def profile_markup(view: ProfileView) -> InlineKeyboardMarkup:
    """«🔊 Giọng đọc», and for a member linked on several messengers one button per other channel."""
    markup = voice_settings_markup()
    if len(view.channels) > 1:
        others = [p for p in view.channels if p != view.receiving_channel]
        markup.inline_keyboard.extend(
            kb.inline([(Button(texts.account.BTN_RECEIVE_VIA.format(channel=channel_name(p)), ChannelChoice(platform=p).pack()),) for p in others])
            .inline_keyboard
        )
    return markup

async def profile(message: Message, session: AsyncSession, cipher: FieldCipher, member: Member) -> None:
    view = await profile_of(session, member, cipher)
    await message.answer(
        texts.account.PROFILE.format(
            full_name=view.full_name,
            date_of_birth=view.date_of_birth,
            gender=view.gender,
            joined_on=view.joined_on,
            official_on=view.official_on,
            card_number=view.card_number,
            cell=view.cell,
            citizen_id=view.citizen_id_masked,
            phone=view.phone_masked,
            status_line=view.status,
        )
        + (f"\n{texts.account.PROFILE_CHANNEL.format(channel=channel_name(view.receiving_channel))}"
           if len(view.channels) > 1 and view.receiving_channel else "")
        + texts.account.PROFILE_FOOTER,
        reply_markup=profile_markup(view),
    )


async def choose_channel(query: CallbackQuery, callback_data: ChannelChoice, session: AsyncSession, member: Member, clock: Clock) -> None:
    chosen = await set_preferred_channel(session, member=member, platform=callback_data.platform, now=clock.now())
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.account.CHANNEL_SWITCHED.format(channel=channel_name(chosen)))


async def help_screen(message: Message, actor: Actor) -> None:
    body = texts.account.HELP
    if actor.is_manager:
        body += texts.account.HELP_SECRETARY
    await message.answer(body + texts.account.HELP_FOOTER, reply_markup=kb.home(actor))


def build() -> Router:
    router = Router(name="home")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.message.register(profile, or_f(F.text == texts.account.BTN_PROFILE, Command("hoso")))
    router.callback_query.register(choose_channel, ChannelChoice.filter())
    router.message.register(help_screen, or_f(F.text == texts.account.BTN_HELP, Command("huongdan", "help")))
    return router

"""The linked member's home: profile and help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import or_f
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, WebAppInfo
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked
from bot.routers.resolutions.voice_prefs import voice_settings_markup
from core import texts
from core.clock import Clock
from core.crypto import FieldCipher
from core import catchup
from core.console import service as console
from core.orgs import linking
from core.orgs.management import set_follows_cell
from core.orgs.models import Member
from core.db import utcnow
from core.orgs.service import Actor, ProfileView, channel_link, profile_of, set_preferred_channel
from core.ports import Button


class ChannelChoice(CallbackData, prefix="chn"):
    platform: str


class FollowCell(CallbackData, prefix="fc"):
    """An exempt member's switch: keep following the cell (on) or not (off)."""

    on: bool


def channel_name(platform: str) -> str:
    return texts.account.CHANNEL_NAMES.get(platform, platform)


def _follow_rows(member: Member) -> list[list]:  # type: ignore[type-arg]
    """For an exempt member: the switch to stop (or resume) following the cell."""
    if not member.exempt:
        return []
    follows = member.exempt_receives_notices
    toggle = Button(texts.account.BTN_FOLLOW_OFF if follows else texts.account.BTN_FOLLOW_ON, FollowCell(on=not follows).pack())
    return kb.inline([(toggle,)]).inline_keyboard


def profile_markup(view: ProfileView, member: Member | None = None) -> InlineKeyboardMarkup:
    """«🔊 Giọng đọc», for a member linked on several messengers one button per other channel, and
    for an exempt member the switch to follow the cell or not."""
    markup = voice_settings_markup()
    if len(view.channels) > 1:
        others = [p for p in view.channels if p != view.receiving_channel]
        markup.inline_keyboard.extend(
            kb.inline([(Button(texts.account.BTN_RECEIVE_VIA.format(channel=channel_name(p)), ChannelChoice(platform=p).pack()),) for p in others])
            .inline_keyboard
        )
    if member is not None:
        markup.inline_keyboard.extend(_follow_rows(member))
    return markup


def _following_line(member: Member) -> str:
    if not member.exempt:
        return ""
    return texts.account.FOLLOWING_ON if member.exempt_receives_notices else texts.account.FOLLOWING_OFF


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
        + _following_line(member)
        + texts.account.PROFILE_FOOTER,
        reply_markup=profile_markup(view, member),
    )


async def choose_channel(query: CallbackQuery, callback_data: ChannelChoice, session: AsyncSession, member: Member, clock: Clock) -> None:
    chosen = await set_preferred_channel(session, member=member, platform=callback_data.platform, now=clock.now())
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.account.CHANNEL_SWITCHED.format(channel=channel_name(chosen)))


async def follow_cell(
    query: CallbackQuery, callback_data: FollowCell, session: AsyncSession, member: Member, cipher: FieldCipher
) -> None:
    follows = await set_follows_cell(session, member, follows=callback_data.on)
    await query.answer(texts.account.FOLLOW_TURNED_ON if follows else texts.account.FOLLOW_TURNED_OFF, show_alert=True)
    if isinstance(query.message, Message):
        view = await profile_of(session, member, cipher)
        await query.message.edit_reply_markup(reply_markup=profile_markup(view, member))


async def send_digest(message: Message, session: AsyncSession, result: linking.LinkResult) -> None:
    """Right after a new link: the meetings ahead and what was sent in the last 30 days (core.catchup)."""
    if result.already_linked:
        return
    link = await channel_link(session, result.member.id)
    now = link.linked_at if link is not None else utcnow()
    for screen in await catchup.digest_for_new_member(session, member=result.member, now=now):
        await message.answer(screen.text, reply_markup=kb.inline(screen.buttons) if screen.buttons else None)


async def _not_manager(message: Message, actor: Actor) -> bool:
    return not actor.is_manager  # a secretary's 📢 is the notices menu (bot/routers/notices/)


async def my_notices(message: Message, session: AsyncSession, member: Member) -> None:
    screen = catchup.notices_screen(await catchup.notices_for_member(session, member=member))
    await message.answer(screen.text, reply_markup=kb.inline(screen.buttons))


async def my_conclusions(query: CallbackQuery, session: AsyncSession, member: Member) -> None:
    screen = catchup.conclusions_screen(await catchup.conclusions_for_member(session, member=member))
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(screen.text)


async def help_screen(message: Message, actor: Actor) -> None:
    body = texts.account.HELP
    if actor.is_manager:
        body += texts.account.HELP_SECRETARY
    await message.answer(body + texts.account.HELP_FOOTER, reply_markup=kb.home(actor))


async def open_console(
    message: Message, session: AsyncSession, actor: Actor, clock: Clock, platform: str = "telegram", console_base: str | None = None
) -> None:
    """«🖥 Mở trang quản lý»: a one-time sign-in link to the web console (on Zalo, the same menu's
    numbered entry); on Telegram with an HTTPS address, also a button that opens it as a Mini App."""
    if not console.may_use_console(actor) or not console_base:
        await message.answer(texts.console.NOT_SERVED if console.may_use_console(actor) else texts.console.MANAGERS_ONLY)
        return
    token = await console.issue_login_link(session, actor, now=clock.now(), platform=platform)
    url = console.login_url(console_base, token)
    markup = None
    if platform == "telegram" and console_base.startswith("https://"):
        app_url = f"{console_base.rstrip('/')}/console/app"
        markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=texts.console.BTN_OPEN_IN_TELEGRAM, web_app=WebAppInfo(url=app_url))]])
    await message.answer(
        texts.console.LINK_MESSAGE.format(url=url, minutes=int(console.LINK_TTL.total_seconds() // 60)),
        reply_markup=markup, link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def build() -> Router:
    router = Router(name="home")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.message.register(profile, or_f(F.text == texts.account.BTN_PROFILE, Command("hoso")))
    router.callback_query.register(choose_channel, ChannelChoice.filter())
    router.callback_query.register(follow_cell, FollowCell.filter())
    router.message.register(my_notices, F.text == texts.account.BTN_NOTICE, _not_manager)
    router.callback_query.register(my_conclusions, F.data == catchup.CONCLUSIONS_DATA)
    router.message.register(open_console, or_f(F.text == texts.console.BTN_OPEN_CONSOLE, Command("quanly")))
    router.message.register(help_screen, or_f(F.text == texts.account.BTN_HELP, Command("huongdan", "help")))
    return router

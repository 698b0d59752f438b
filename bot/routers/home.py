"""The linked member's home: profile and help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import or_f
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked
from bot.routers.resolutions import voice_settings_markup
from core import texts
from core.crypto import FieldCipher
from core.orgs.models import Member
from core.orgs.service import Actor, profile_of

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
        + texts.account.PROFILE_FOOTER,
        reply_markup=voice_settings_markup(),
    )


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
    router.message.register(help_screen, or_f(F.text == texts.account.BTN_HELP, Command("huongdan", "help")))
    return router

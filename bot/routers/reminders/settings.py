"""One handler per kind of ⏰ button: the settings screen, a setting's choices, saving one, ↩️ Theo cấp trên."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.keyboards_reminders import ReminderSettingsButton
from bot.routers.reminders.screens import CHOICES, QUESTIONS, T, choices, screen
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import InvalidInput, PermissionDenied
from core.meetings.service import manageable_cells
from core.orgs.models import OrgKind
from core.orgs.service import Actor
from core.ports import Button
from core.scheduling import service
from core.scheduling.settings import KEYS


def _choosable(actor: Actor) -> list[tuple[str, int]]:
    """(label, org id): the committees whose defaults the person sets (they sit on them), then the
    cells they lead."""
    committees = {org.id: org for org in actor.managed_orgs if org.kind == OrgKind.COMMITTEE}
    return [
        (T.BTN_COMMITTEE_DEFAULTS.format(org=org.name), org.id) for org in sorted(committees.values(), key=lambda org: org.depth)
    ] + [(cell.name, cell.id) for cell in manageable_cells(actor)]


async def _org_id(query: CallbackQuery, callback_data: ReminderSettingsButton, actor: Actor, bot: Bot) -> int | None:
    """The organisation the button is for. Org 0 means «what the person leads»: the only one, or
    None once the person has been asked to choose among several."""
    if callback_data.org_id != 0:
        return callback_data.org_id
    options = _choosable(actor)
    if not options:
        raise PermissionDenied(texts.meetings.NOT_LEADER)
    if len(options) > 1:
        rows = [(Button(label, ReminderSettingsButton(org_id=option).pack()),) for label, option in options]
        await show(query, bot, T.ASK_ORG, kb.inline(rows))
        await query.answer()
        return None
    return options[0][1]


def is_choice(data: ReminderSettingsButton) -> bool:
    """A value offered for that setting (anything else is a stale or forged button)."""
    return data.field in CHOICES and data.value in dict(CHOICES[data.field])


async def open_settings(query: CallbackQuery, callback_data: ReminderSettingsButton, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    org_id = await _org_id(query, callback_data, actor, bot)
    if org_id is None:
        return
    view = await service.reminder_settings(session, actor=actor, org_id=org_id)
    await show(query, bot, *screen(view))
    await query.answer()


async def ask_setting(query: CallbackQuery, callback_data: ReminderSettingsButton, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    org_id = await _org_id(query, callback_data, actor, bot)
    if org_id is None:
        return
    view = await service.reminder_settings(session, actor=actor, org_id=org_id)
    await show(query, bot, QUESTIONS[callback_data.field], choices(view.org.id, callback_data.field, view.settings))
    await query.answer()


async def save_setting(
    query: CallbackQuery, callback_data: ReminderSettingsButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    org_id = await _org_id(query, callback_data, actor, bot)
    if org_id is None:
        return
    change = dict(CHOICES[callback_data.field])[callback_data.value]
    view = await service.change_reminder_settings(session, actor=actor, org_id=org_id, changes=change, now=clock.now())
    await show(query, bot, *screen(view))
    await query.answer(T.SETTINGS_SAVED)


async def inherit(query: CallbackQuery, callback_data: ReminderSettingsButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    """↩️ Theo cấp trên: drop every value set at this organisation."""
    org_id = await _org_id(query, callback_data, actor, bot)
    if org_id is None:
        return
    view = await service.change_reminder_settings(session, actor=actor, org_id=org_id, changes={}, inherit=KEYS, now=clock.now())
    await show(query, bot, *screen(view))
    await query.answer(T.SETTINGS_INHERITED)


async def stale(query: CallbackQuery, callback_data: ReminderSettingsButton, actor: Actor, bot: Bot) -> None:
    """A field or value no screen offers: refused politely (after the organisation is known, as always)."""
    if await _org_id(query, callback_data, actor, bot) is None:
        return
    raise InvalidInput(texts.common.STALE_BUTTON)

"""What every conversation flow (a form, a question waiting for typed text) shares, written once:

- a flow remembers when it started (`started_at` in its FSM data) and is forgotten after its TTL;
- a home-keyboard button or a command is never taken as a flow's input: it ends the flow and goes
  to its owner (`leave_flow_for_menu`, registered before a router's typed-input handlers, which
  exclude `menu_or_command()` themselves);
- a typed answer refused for anything but its content ends the flow (`clear_unless_invalid`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from aiogram import F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Filter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from core import texts
from core.errors import DomainError, InvalidInput

DEFAULT_TTL = dt.timedelta(minutes=60)


def home_labels() -> frozenset[str]:
    """The home keyboard's buttons (texts.account.BTN_*), including any a domain adds later."""
    return frozenset(value for name, value in vars(texts.account).items() if name.startswith("BTN_") and isinstance(value, str))


def menu_or_command() -> Filter:
    """A home button or a command: never taken as a flow's input."""
    return or_f(F.text.in_(home_labels()), F.text.startswith("/"))


def expired(data: dict[str, Any], now: dt.datetime, ttl: dt.timedelta = DEFAULT_TTL) -> bool:
    started = data.get("started_at")
    return not isinstance(started, str) or now - dt.datetime.fromisoformat(started) > ttl


async def flow_data(state: FSMContext, now: dt.datetime, ttl: dt.timedelta = DEFAULT_TTL) -> dict[str, Any] | None:
    """The flow's data, or None (and the state cleared) when there is none or it is too old."""
    data = await state.get_data()
    if expired(data, now, ttl):
        await state.clear()
        return None
    return data


async def leave_flow_for_menu(message: Message, state: FSMContext) -> None:
    """A home button or a command in the middle of a flow: drop the flow, let its owner answer."""
    await state.clear()
    raise SkipHandler()


@contextlib.asynccontextmanager
async def clear_unless_invalid(state: FSMContext, *, typed: bool = True) -> AsyncIterator[None]:
    """A typed answer refused for anything but its content ends the flow: typing again cannot help.
    (A voice message's refusal keeps the flow, as it always has.)"""
    try:
        yield
    except DomainError as refusal:
        if typed and not isinstance(refusal, InvalidInput):
            await state.clear()
        raise

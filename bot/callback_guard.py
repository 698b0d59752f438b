"""Button data is read before any router sees it: a number no database id can be (over 64 bits, from a
forged or corrupted button) is refused politely here, once for every router, instead of reaching a
query and failing there ("Python int too large", "value out of int64 range"). Routers are gated by
the button prefixes they take (`gate_buttons_by_prefix`), so a press goes straight to its router."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.filters.logic import _OrFilter
from aiogram.types import CallbackQuery, TelegramObject

from core import texts

ID_MAX = 2**63 - 1  # BIGINT, the widest id column
_NUMBER = re.compile(r"^-?\d+$")


def impossible_number(data: str | None) -> bool:
    """True when a field of the button's data is a number outside a 64-bit signed integer."""
    return any(_NUMBER.match(field) and abs(int(field)) > ID_MAX for field in (data or "").split(":"))


class ImpossibleIds(BaseMiddleware):
    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        if isinstance(event, CallbackQuery) and impossible_number(event.data):
            await event.answer(texts.common.BUTTON_INVALID, show_alert=True)
            return None
        return await handler(event, data)


class ButtonPrefixes(Filter):
    """A router's gate: passes only button data that some handler in the router's tree can take.

    aiogram tries every router's handlers in order, and each `CallbackData` filter unpacks the data
    to compare its prefix: a press of the last router's button was checked against some 75 handlers.
    A router whose every button handler (its sub-routers' included) requires a `CallbackData` prefix
    is skipped at once for data with another prefix. The gate never changes which handler answers:
    those it skips would all have refused the data."""

    def __init__(self, prefixes: Iterable[tuple[str, str]]) -> None:
        by_separator: dict[str, set[str]] = {}
        for prefix, separator in prefixes:
            by_separator.setdefault(separator, set()).add(prefix)
        self.by_separator = {separator: frozenset(values) for separator, values in by_separator.items()}

    async def __call__(self, query: CallbackQuery) -> bool:
        data = query.data or ""
        return any(data.split(separator, 1)[0] in prefixes for separator, prefixes in self.by_separator.items())


def gate_buttons_by_prefix(router: Router) -> set[tuple[str, str]] | None:
    """Gives `router` and each router under it a `ButtonPrefixes` gate when all their button
    handlers require known prefixes. Returns the prefixes the tree takes, None when some handler
    may take any data (no gate above it then)."""
    taken: set[tuple[str, str]] | None = set()
    for child in router.sub_routers:
        below = gate_buttons_by_prefix(child)
        taken = None if below is None or taken is None else taken | below
    for handler in router.callback_query.handlers:
        prefixes = _required_prefixes(handler.filters or ())
        taken = None if prefixes is None or taken is None else taken | prefixes
    if taken is not None:
        router.callback_query.filter(ButtonPrefixes(taken))
    return taken


def _required_prefixes(checks: Iterable[FilterObject]) -> set[tuple[str, str]] | None:
    """The prefixes one of which a handler's filters (all must pass) require, None when any data may pass."""
    for check in checks:
        if isinstance(check.callback, CallbackQueryFilter):
            data = check.callback.callback_data
            return {(data.__prefix__, data.__separator__)}
        if isinstance(check.callback, _OrFilter):  # or_f(A.filter(), B.filter()): either prefix
            either = [_required_prefixes([target]) for target in check.callback.targets]
            if all(prefixes is not None for prefixes in either):
                return set().union(*(prefixes for prefixes in either if prefixes is not None))
    return None

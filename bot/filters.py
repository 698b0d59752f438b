"""Router-level filters."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Filter
from aiogram.filters.logic import _AndFilter, _InvertFilter, _OrFilter
from aiogram.types import TelegramObject

from core.orgs.models import Member
from core.orgs.service import Actor


class Linked(Filter):
    """Passes only for a linked, active member; everything else falls through to the fallback router."""

    async def __call__(self, event: TelegramObject, member: Member | None = None, **_: Any) -> bool:
        return member is not None


class Manager(Filter):
    """Passes for secretaries, deputies and committee members."""

    async def __call__(self, event: TelegramObject, actor: Actor | None = None, **_: Any) -> bool:
        return actor is not None and actor.is_manager


def run_filters_inline(router: Router) -> None:
    """aiogram runs every filter that is not a coroutine in a worker thread (`asyncio.to_thread`): each
    `F.text == …` or `F.data.startswith(…)` tried on an update was a hand-off to the thread pool and
    back, nine for a 📅 Lịch họp. Magic filters only read the event, so they run here, on the loop.
    Our own filter functions are coroutines for the same reason."""
    for observer in router.observers.values():
        for handler in [observer._handler, *observer.handlers]:  # the router-level filters, then each handler's
            for check in handler.filters or ():
                _inline(check)
    for child in router.sub_routers:
        run_filters_inline(child)


def _inline(check: FilterObject) -> None:
    if isinstance(check.callback, (_AndFilter, _OrFilter)):
        for target in check.callback.targets:
            _inline(target)
    elif isinstance(check.callback, _InvertFilter):
        _inline(check.callback.target)
    elif check.magic is not None and not check.awaitable:
        resolve = check.callback

        async def on_the_loop(*args: Any, **kwargs: Any) -> Any:
            return resolve(*args, **kwargs)

        check.callback, check.awaitable = on_the_loop, True

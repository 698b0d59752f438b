"""Each router tries only the handlers that can take an update, found in an index built once.

aiogram tries a router's handlers one after another, running each one's filters until one passes: a
📅 Lịch họp typed from the main keyboard was checked against 31 filters, a button press against
19–23. Most of those handlers require one exact thing of the update — a `CallbackData` prefix, an
exact button data (`F.data == …`, `F.data.in_(…)`), an exact text (`F.text == …`, `F.text.in_(…)`)
or a command (`Command("lichhop")`), or an FSM state (`StateFilter(…)`: a form step) — and refuse anything else. `index_handlers` reads those requirements once, when the dispatcher is
built, and gives each router's message and button observers a `trigger` that skips, for a given
update, exactly the handlers whose requirement the update does not meet. Every other handler (a
catch-all, a `F.text.startswith(…)`, a filter we cannot read) is kept, in
its place, and tried with all its filters as before — so the handler that answers is the one the
full walk would have found: the skipped ones would all have refused. Router-level filters,
middlewares, `SkipHandler` and sub-routers are untouched (this replaces `TelegramEventObserver.trigger`
only, with the same loop over fewer handlers)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED, SkipHandler
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.filters.logic import _AndFilter, _OrFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from magic_filter import MagicFilter
from magic_filter.operations import ComparatorOperation, FunctionOperation, GetAttributeOperation
from magic_filter.util import in_op

# A token is one thing an update is (or its sender's FSM state, ("state", None)): ("text", "📅 Lịch họp"), ("command", "/", "lichhop"), ("data", "mti:yes:5"),
# ("prefix", ":", "mti").
Token = tuple[str | None, ...]
Requirement = tuple[frozenset[Token], ...]  # the update must have a token of each set; (): any update may pass
_CACHE_LIMIT = 512  # distinct sets of known tokens remembered per observer (bounded by the index's size anyway)


def requirement(handler: HandlerObject) -> Requirement:
    """What `handler`'s filters (all must pass) require: each set, one of its tokens; () when we cannot tell."""
    return tuple(found for check in handler.filters or () if (found := _one(check)) is not None)


def _first(checks: Iterable[FilterObject]) -> frozenset[Token] | None:
    for check in checks:  # all must pass: any readable requirement is one the update must meet
        found = _one(check)
        if found is not None:
            return found
    return None


def _one(check: FilterObject) -> frozenset[Token] | None:
    callback = check.callback
    if isinstance(callback, CallbackQueryFilter):
        data = callback.callback_data
        return frozenset({("prefix", data.__separator__, data.__prefix__)})
    if isinstance(callback, Command) and not callback.ignore_case and all(isinstance(name, str) for name in callback.commands):
        return frozenset(("command", prefix, str(name)) for prefix in callback.prefix for name in callback.commands)
    if isinstance(callback, _AndFilter):
        return _first(callback.targets)
    if isinstance(callback, _OrFilter):  # either requirement; unreadable if any side is
        either = [_one(target) for target in callback.targets]
        if any(side is None for side in either):
            return None
        return frozenset().union(*(side for side in either if side is not None))
    if isinstance(callback, (StateFilter, State)):
        return _states(callback.states if isinstance(callback, StateFilter) else (callback,))
    if check.magic is not None:
        return _magic(check.magic)
    return None


def _states(allowed: Iterable[Any]) -> frozenset[Token] | None:
    """StateFilter / State: the FSM states (raw_state) that pass; None when any may ("*")."""
    names: set[str | None] = set()
    for state in allowed:
        if isinstance(state, State):
            state = state.state
        elif isinstance(state, StatesGroup) or (isinstance(state, type) and issubclass(state, StatesGroup)):
            names.update((state if isinstance(state, type) else type(state)).__all_states_names__)
            continue
        if state == "*" or not (state is None or isinstance(state, str)):
            return None
        names.add(state)
    return frozenset(("state", name) for name in names)


def _magic(magic: MagicFilter) -> frozenset[Token] | None:
    """`F.text == "…"`, `F.text.in_({…})`, `F.data == "…"`, `F.data.in_({…})` — nothing else is read."""
    operations = magic._operations
    if len(operations) != 2 or not isinstance(operations[0], GetAttributeOperation):
        return None
    name, test = operations[0].name, operations[1]
    if name not in {"text", "data"}:
        return None
    if isinstance(test, ComparatorOperation) and test.comparator is operator.eq and isinstance(test.right, str):
        return frozenset({(name, test.right)})
    if isinstance(test, FunctionOperation) and test.function is in_op and len(test.args) == 1 and not test.kwargs:
        values = test.args[0]
        if isinstance(values, (set, frozenset, list, tuple)) and all(isinstance(value, str) for value in values):
            return frozenset((name, value) for value in values)
    return None


def tokens_of(event: TelegramObject, raw_state: str | None, separators: Collection[str]) -> frozenset[Token]:
    """What the update is, in the terms of the requirements: its FSM state, its exact text and command, or its data and prefixes."""
    state = ("state", raw_state)
    if isinstance(event, Message):
        return frozenset({state, *_text(event.text), *_command(event.text or event.caption)})
    if isinstance(event, CallbackQuery) and event.data:
        data = event.data  # CallbackData.unpack compares data.split(separator)[0] with the prefix
        return frozenset({state, ("data", data), *(("prefix", separator, data.split(separator, 1)[0]) for separator in separators)})
    return frozenset({state})


def _separators(known: Iterable[Token]) -> list[str]:
    return sorted({str(token[1]) for token in known if token[0] == "prefix"})


def _text(text: str | None) -> tuple[Token, ...]:
    return (("text", text),) if text else ()


def _command(text: str | None) -> tuple[Token, ...]:
    """Command.extract_command: the first word, its first character the prefix, the name before any @mention."""
    words = (text or "").split(maxsplit=1)
    return (("command", words[0][0], words[0][1:].partition("@")[0]),) if words else ()


class IndexedTrigger:
    """`TelegramEventObserver.trigger`, trying only the handlers the update can meet, in their order."""

    def __init__(self, observer: TelegramEventObserver, requirements: Sequence[Requirement]) -> None:
        self.observer = observer
        self.handlers = list(observer.handlers)
        self.requirements = list(requirements)
        self.known: frozenset[Token] = frozenset().union(*(tokens for need in requirements for tokens in need))
        self.separators = _separators(self.known)
        self.cache: dict[frozenset[Token], tuple[HandlerObject, ...]] = {}

    def candidates(self, event: TelegramObject, raw_state: str | None = None) -> tuple[HandlerObject, ...]:
        hits = tokens_of(event, raw_state, self.separators) & self.known
        found = self.cache.get(hits)
        if found is None:
            found = tuple(h for h, need in zip(self.handlers, self.requirements, strict=True) if all(tokens & hits for tokens in need))
            if len(self.cache) < _CACHE_LIMIT:
                self.cache[hits] = found
        return found

    async def __call__(self, event: TelegramObject, **kwargs: Any) -> Any:
        observer = self.observer
        if len(observer.handlers) != len(self.handlers):  # a handler registered after indexing: the full walk
            return await TelegramEventObserver.trigger(observer, event, **kwargs)
        for handler in self.candidates(event, kwargs.get("raw_state")):  # StateFilter reads raw_state, None when absent  # the body of TelegramEventObserver.trigger (aiogram 3.x)
            kwargs["handler"] = handler
            result, data = await handler.check(event, **kwargs)
            if result:
                kwargs.update(data)
                try:
                    wrapped_inner = observer.outer_middleware.wrap_middlewares(observer._resolve_middlewares(), handler.call)
                    return await wrapped_inner(event, kwargs)
                except SkipHandler:
                    continue
        return UNHANDLED


def index_handlers(router: Router, event_names: Iterable[str] = ("message", "callback_query")) -> None:
    """Gives the observers of `router` and every router under it an `IndexedTrigger` (only where some handler has a readable requirement)."""
    names = tuple(event_names)
    for name in names:
        observer = router.observers[name]
        requirements = [requirement(handler) for handler in observer.handlers]
        if any(requirements):
            indexed: Callable[..., Any] = IndexedTrigger(observer, requirements)
            observer.trigger = indexed  # type: ignore[method-assign]
    for child in router.sub_routers:
        index_handlers(child, names)


class TreeGate:
    """`Router.propagate_event` of a router that no update reaches without some handler of its tree
    (its own, its sub-routers') being a candidate: otherwise the router is passed over at once, without
    trying its router-level filters (ButtonPrefixes, Linked…) or any of its sub-routers. Only where
    no observer of the tree has an outer middleware (which would run even for an update nobody takes)."""

    def __init__(self, router: Router, event_names: Iterable[str]) -> None:
        self.router = router
        self.propagate = router.propagate_event
        self.requirements = {name: [requirement(h) for r in _tree(router) for h in r.observers[name].handlers] for name in event_names}
        self.known = {name: frozenset().union(*(t for need in needs for t in need)) for name, needs in self.requirements.items()}
        self.separators = {name: _separators(known) for name, known in self.known.items()}
        self.cache: dict[tuple[str, frozenset[Token]], bool] = {}

    def skips(self, update_type: str, event: TelegramObject, raw_state: str | None) -> bool:
        needs = self.requirements.get(update_type)
        if needs is None or any(not need for need in needs):  # an event we do not index, or a handler that may take anything
            return False
        key = (update_type, tokens_of(event, raw_state, self.separators[update_type]) & self.known[update_type])
        skip = self.cache.get(key)
        if skip is None:
            skip = not any(all(tokens & key[1] for tokens in need) for need in needs)
            if len(self.cache) < _CACHE_LIMIT:
                self.cache[key] = skip
        return skip

    async def __call__(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if self.skips(update_type, event, kwargs.get("raw_state")):
            return UNHANDLED
        return await self.propagate(update_type, event, **kwargs)


def _tree(router: Router) -> list[Router]:
    return [router, *(below for child in router.sub_routers for below in _tree(child))]


def gate_routers(router: Router, event_names: Iterable[str] = ("message", "callback_query")) -> None:
    """Gives each router under `router` (not `router` itself) a `TreeGate`, where it is safe."""
    names = tuple(event_names)
    for child in router.sub_routers:
        if not any(r.observers[name].outer_middleware for r in _tree(child) for name in names):
            gate: Callable[..., Any] = TreeGate(child, names)
            child.propagate_event = gate  # type: ignore[method-assign]
        gate_routers(child, names)

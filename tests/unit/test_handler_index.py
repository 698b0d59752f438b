"""Issue 23 item 2: the handler index (bot/handler_index.py) never changes which handler answers.

The real dispatcher is walked twice for each sample update and each person's situation (not linked,
member, manager; no FSM state or any state of any form): once trying every handler of every router in
order (aiogram's walk), once trying only the index's candidates. The handlers whose filters pass, in
the order they would be tried, must be the same in both — so the first one answers either way, and a
handler raising SkipHandler hands over to the same next one. Samples: data of every button prefix and
every exact data in the bot, data no handler takes (the forged-button reply), every exact text a
handler requires (the main-menu buttons included), free text, a long text, a command, a message
without text."""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from typing import Any

import pytest
from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User

from bot.dispatcher import build_dispatcher
from bot.handler_index import IndexedTrigger, Requirement, TreeGate, index_handlers, requirement
from bot.routers import fallback
from core import texts

PERSON = User(id=7, is_bot=False, first_name="A")
CHAT = Chat(id=7, type="private")
NOW = dt.datetime(2026, 12, 8, tzinfo=dt.timezone.utc)


class FakeBot:  # Command filters ask who the bot is when a command names one ("/lichhop@sotay_bot")
    async def me(self) -> User:
        return User(id=1, is_bot=True, first_name="Sổ tay", username="sotay_bot")


BOT = FakeBot()


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return build_dispatcher(session_factory=object(), cipher=object(), clock=object())  # type: ignore[arg-type]


def message(text: str | None) -> Message:
    return Message(message_id=1, date=NOW, chat=CHAT, from_user=PERSON, text=text)


def press(data: str) -> CallbackQuery:
    return CallbackQuery(id="1", from_user=PERSON, chat_instance="ci", data=data, message=message("…"))


def routers(router: Router) -> list[Router]:
    return [router, *(below for child in router.sub_routers for below in routers(child))]


def _field_sample(annotation: Any) -> str:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    if typing.get_origin(annotation) is typing.Literal:
        return str(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return str(next(iter(annotation)).value)
    return "x" if annotation is str else "1"


def button_samples(cls: type[CallbackData]) -> str:
    return cls.__separator__.join([cls.__prefix__, *(_field_sample(field.annotation) for field in cls.model_fields.values())])


def samples(dispatcher: Dispatcher, event_name: str) -> list[str]:
    found: set[str] = set()
    for router in routers(dispatcher):
        for handler in router.observers[event_name].handlers:
            for token in (token for tokens in requirement(handler) for token in tokens if token[0] != "state"):
                found.add({"prefix": lambda t: t[2] + t[1] + "1", "command": lambda t: t[1] + t[2]}.get(token[0], lambda t: t[-1])(token))
            for check in handler.filters or ():
                if hasattr(check.callback, "callback_data"):
                    found.add(button_samples(check.callback.callback_data))
    return sorted(found)


def situations() -> list[dict[str, Any]]:
    states: list[str | None] = [None]
    groups = list(StatesGroup.__subclasses__())
    while groups:
        group = groups.pop()
        groups.extend(group.__subclasses__())
        states.extend(state.state for state in group.__all_states__)
    people = [{"member": None, "actor": None}, {"member": object(), "actor": types.SimpleNamespace(is_manager=False)},
              {"member": object(), "actor": types.SimpleNamespace(is_manager=True)}]
    return [{**person, "raw_state": state, "platform": platform, "bot": BOT} for person in people for state in states for platform in ("telegram", "zalo")]


async def passing(router: Router, event_name: str, event: TelegramObject, context: dict[str, Any], indexed: bool) -> list[HandlerObject]:
    """Every handler whose filters pass, in the order the walk (full or indexed) tries them."""
    observer = router.observers[event_name]
    taken: list[HandlerObject] = []
    gate = router.propagate_event
    if indexed and isinstance(gate, TreeGate) and gate.skips(event_name, event, context["raw_state"]):
        return taken
    root_passes, data = await observer.check_root_filters(event, **context)
    if root_passes:
        trigger = observer.trigger
        tried = trigger.candidates(event, context["raw_state"]) if indexed and isinstance(trigger, IndexedTrigger) else observer.handlers
        for handler in tried:
            if (await handler.check(event, **{**context, **data, "handler": handler}))[0]:
                taken.append(handler)
    for child in router.sub_routers:
        taken += await passing(child, event_name, event, context, indexed)
    return taken


async def assert_same_walk(dispatcher: Dispatcher, event_name: str, event: TelegramObject) -> list[HandlerObject]:
    first: list[HandlerObject] = []
    for context in situations():
        full = await passing(dispatcher, event_name, event, context, indexed=False)
        assert await passing(dispatcher, event_name, event, context, indexed=True) == full, (event, context)
        first.append(full[0])
    return first


def test_the_real_dispatcher_is_indexed(dispatcher: Dispatcher) -> None:
    indexed = [r for r in routers(dispatcher) for name in ("message", "callback_query") if isinstance(r.observers[name].trigger, IndexedTrigger)]
    assert len(indexed) > 10
    assert sum(isinstance(r.propagate_event, TreeGate) for r in routers(dispatcher)) > 10
    buttons = samples(dispatcher, "callback_query")
    assert len(buttons) > 60 and any(sample.startswith("mti:") for sample in buttons)
    assert texts.account.BTN_MEETINGS in samples(dispatcher, "message")


async def test_every_button_reaches_the_same_handlers(dispatcher: Dispatcher) -> None:
    for data in samples(dispatcher, "callback_query"):
        await assert_same_walk(dispatcher, "callback_query", press(data))


async def test_a_button_no_handler_takes_reaches_the_forged_button_reply(dispatcher: Dispatcher) -> None:
    for data in ["zzz:1", "mti", "mti:yes", "x" * 64, ":"]:
        first = await assert_same_walk(dispatcher, "callback_query", press(data))
        assert {handler.callback for handler in first} == {fallback.stale_button}


async def test_every_exact_text_and_free_text_reach_the_same_handlers(dispatcher: Dispatcher) -> None:
    for text in [*samples(dispatcher, "message"), "xin chào", "mấy giờ họp?", "a" * 200, "/start", "/start abc", "/lichhop@sotay_bot", "/unknown", "lichhop"]:
        await assert_same_walk(dispatcher, "message", message(text))
    await assert_same_walk(dispatcher, "message", message(None))


async def test_a_menu_text_skips_the_handlers_of_other_texts(dispatcher: Dispatcher) -> None:
    menu = {("text", texts.account.BTN_MEETINGS), ("state", None)}
    every, tried = [], []
    for router in routers(dispatcher):
        trigger = router.message.trigger
        every += router.message.handlers
        tried += trigger.candidates(message(texts.account.BTN_MEETINGS), None) if isinstance(trigger, IndexedTrigger) else router.message.handlers
    assert len(tried) < len(every) / 2
    assert any(("text", texts.account.BTN_MEETINGS) in tokens for handler in tried for tokens in requirement(handler))
    assert all(all(tokens & menu for tokens in requirement(handler)) for handler in tried)


def test_requirements_are_read_only_from_filters_that_require_them() -> None:
    from aiogram import F
    from aiogram.filters import Command, StateFilter, and_f, or_f
    from aiogram.fsm.state import State

    class Sample(CallbackData, prefix="smp"):
        n: int

    class Form(StatesGroup):
        one = State()
        two = State()

    router = Router()
    router.message.register(lambda m: None, F.text == "a")
    router.message.register(lambda m: None, F.text.in_({"b", "c"}), StateFilter(None, Form.one))
    router.message.register(lambda m: None, Form.two, F.text)
    router.message.register(lambda m: None, StateFilter(Form), Command("go"))
    router.message.register(lambda m: None, StateFilter("*"))
    router.message.register(lambda m: None, F.text.startswith("d"))
    router.message.register(lambda m: None, or_f(F.text == "e", F.caption == "e"))
    router.callback_query.register(lambda q: None, and_f(F.data.len() > 0, Sample.filter()))
    router.callback_query.register(lambda q: None, or_f(Sample.filter(), F.data == "z"))
    needs: list[Requirement] = [requirement(h) for h in [*router.message.handlers, *router.callback_query.handlers]]
    one, two = ("state", Form.one.state), ("state", Form.two.state)
    assert needs == [(frozenset({("text", "a")}),), (frozenset({("text", "b"), ("text", "c")}), frozenset({("state", None), one})),
                     (frozenset({two}),), (frozenset({one, two}), frozenset({("command", "/", "go")})), (), (), (),
                     (frozenset({("prefix", ":", "smp")}),), (frozenset({("prefix", ":", "smp"), ("data", "z")}),)]
    index_handlers(router)
    later = router.message.register(lambda m: None)  # registered after indexing: the full walk is used
    assert later is not None

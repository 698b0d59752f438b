"""The notices' callback data, the writing flow's states and the words that end it."""

from __future__ import annotations

import datetime as dt
import enum

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from core import texts
from core.notices import render

FLOW_TTL = dt.timedelta(minutes=30)
# A home button or a command in the middle of writing a notice (or recording) ends that flow.
HOME_LABELS = frozenset(
    {
        texts.account.BTN_MEETINGS,
        texts.account.BTN_RESOLUTIONS,
        texts.account.BTN_FEEDBACK,
        texts.account.BTN_PROFILE,
        texts.account.BTN_HELP,
        texts.account.BTN_NOTICE,
        texts.account.BTN_STATS,
        texts.console.BTN_OPEN_CONSOLE,
    }
)


class MenuAction(str, enum.Enum):
    NEW = "new"
    LIST = "list"


class DraftAction(str, enum.Enum):
    SEND = "send"
    URGENT = "urgent"  # urgent and paid: only offered with the cost shown (core.notices.paid)
    DROP = "drop"


class StopAction(str, enum.Enum):
    ASK = "ask"
    OK = "ok"
    NO = "no"


class NoticeMenu(CallbackData, prefix="ntm"):
    action: MenuAction


class NoticeTargetsPage(CallbackData, prefix="ntp"):
    page: int


class NoticeTarget(CallbackData, prefix="ntt"):
    org_id: int


class NoticeDraft(CallbackData, prefix="ntd"):
    action: DraftAction
    draft: str


class NoticeStop(CallbackData, prefix=render.STOP_PREFIX):
    action: StopAction
    notice_id: int


class NoticeReport(CallbackData, prefix=render.REPORT_PREFIX):
    notice_id: int


class NoticeSeen(CallbackData, prefix=render.SEEN_PREFIX):
    notice_id: int


class NoticeFlow(StatesGroup):
    content = State()
    preview = State()

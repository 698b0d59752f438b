"""What the 📜 Nghị quyết routers share: callback data, flow states, the voice renderer."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from core import texts
from core.ports import Button
from core.resolutions import render
from core.resolutions.voice import default_renderer
from voice.service import VoiceRenderer

MAX_PASTED_PARTS = 60
FULL_TEXT_MESSAGES = 4  # longer full texts go as a .txt file
R = texts.resolutions


class LibraryMode(str, enum.Enum):
    ALL = "a"
    SAVED = "s"
    FOUND = "f"


class ResLib(CallbackData, prefix="rl"):
    mode: LibraryMode
    page: int


class ResMenu(CallbackData, prefix="rm"):
    action: str


class ResDoc(CallbackData, prefix=render.DOC_PREFIX):
    action: str
    document_id: int


class ResVoice(CallbackData, prefix=render.VOICE_PREFIX):
    action: str
    document_id: int


class VoicePref(CallbackData, prefix="vp"):
    action: str
    value: str = "-"


class PubKind(CallbackData, prefix="rpk"):
    kind: str


class PubStep(CallbackData, prefix="rps"):
    action: str


class PubTarget(CallbackData, prefix="rpt"):
    org_id: int


class CampOrg(CallbackData, prefix="sco"):
    document_id: int
    org_id: int


class CampStep(CallbackData, prefix="scs"):
    action: str


class CampCorrect(CallbackData, prefix="scc"):
    option: int


class CampView(CallbackData, prefix="scv"):
    action: str
    campaign_id: int


class PublishFlow(StatesGroup):
    kind = State()
    code = State()
    date = State()
    title = State()
    text = State()
    summary = State()
    target = State()
    preview = State()


class SearchFlow(StatesGroup):
    query = State()


class CampaignFlow(StatesGroup):
    org = State()
    deadline = State()
    question = State()
    correct = State()
    review = State()


def btn(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())


def renderer_for(voice_renderer: VoiceRenderer | None, settings: Any) -> VoiceRenderer | None:
    if voice_renderer is not None:
        return voice_renderer
    if settings is not None and getattr(settings, "data_dir", None) is not None:
        return default_renderer(str(Path(settings.data_dir) / "audio"), getattr(settings, "tts_engine", "espeak"))
    return None



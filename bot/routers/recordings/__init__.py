"""🎙 A person's voice: the secretary (or a member they named as reader) records a document's
summary as a Telegram voice message, in a language from the committee's list; members choose the
language they listen in (👤 Hồ sơ → 🔊 Giọng đọc → 🌐 Ngôn ngữ nghe).

Callback data (every id is re-checked by core.recordings.service; bot/routers/recordings/common.py):
    rec:open:<document_id>:            choose the language to record in
    rec:pick:<document_id>:<language>  then send a voice message (FSM RecordingFlow.voice)
    rec:stop:0:                        cancel
    rec:readers:<document_id>:         whom to ask to read it
    rec:reader:<document_id>:<member>  ask that member (core.recordings.service.name_reader)
    rec:lang:0:                        the listener's language list
    rec:setlang:0:<language>           choose it
    rs:…                               notices and meeting conclusions (bot/routers/recordings/subjects.py)

One small handler per button action or typed step. The rules live in core.recordings.service; the
recording part downloads the voice, prepares it off the event loop (core.recordings.audio), and
calls `add_recording` once.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter, or_f

from bot.filters import Linked
from bot.flow import leave_flow_for_menu
from bot.routers.recordings import listening, recording, subjects
from bot.routers.recordings.common import RecCb, RecordingFlow, listen_language_button
from bot.routers.recordings.listening import send_recording

__all__ = ["build", "listen_language_button", "send_recording"]


def build() -> Router:
    from bot.routers.notices import HOME_LABELS

    router = Router(name="recordings")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.callback_query.register(listening.open_languages, RecCb.filter(F.action == "lang"))
    router.callback_query.register(listening.set_language, RecCb.filter(F.action == "setlang"))
    router.callback_query.register(recording.open_recording, RecCb.filter(F.action == "open"))
    router.callback_query.register(recording.pick_language, RecCb.filter(F.action == "pick"))
    router.callback_query.register(recording.list_readers, RecCb.filter(F.action == "readers"))
    router.callback_query.register(recording.name_reader, RecCb.filter((F.action == "reader") & F.language.func(str.isdigit)))
    router.callback_query.register(recording.stop, RecCb.filter(F.action == "stop"))
    router.callback_query.register(subjects.open_subject, subjects.SubjectCb.filter(F.action == "open"))
    router.callback_query.register(subjects.pick_subject_language, subjects.SubjectCb.filter(F.action == "pick"))
    router.callback_query.register(subjects.listen, subjects.SubjectCb.filter(F.action == "listen"))
    in_flow = StateFilter(RecordingFlow.voice, RecordingFlow.subject_voice)
    router.message.register(leave_flow_for_menu, in_flow, or_f(F.text.in_(HOME_LABELS), F.text.startswith("/")))
    router.message.register(recording.receive_recording, StateFilter(RecordingFlow.voice))
    router.message.register(subjects.receive_subject_recording, StateFilter(RecordingFlow.subject_voice))
    return router

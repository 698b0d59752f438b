"""📜 Nghị quyết: the library (newest first, search without diacritics, ⭐ saved), reading a
document (summary, 🔊 voice, 📄 the original), «✅ Tôi đã nghiên cứu», quizzes as Telegram quiz
polls, voice preferences (from 👤 Hồ sơ), publishing a document, and study campaigns.

One small router per part, in the order they must match; each handler serves one button action or
one typed step. Handlers are thin; every id in a button is re-checked by core.resolutions (a forged
or foreign one is NotFound / PermissionDenied and changes nothing).

Callback data (bot/routers/resolutions/common.py):
    rl:<mode>:<page>            library page: a (all) | s (saved) | f (search results; query in FSM data)
    rm:<action>                 menu: search | saved | publish | camps
    rd:<action>:<document_id>   open | full | save | unsave | study | listen | quiz | camp | res   (core.resolutions.render)
    rv:<action>:<document_id>   under a voice note: again | slow | norm                           (core.resolutions.render)
    vp:<action>:<value>         voice settings: open | on | off | speed:<normal|slow> | voice:<name> | sample
    rpk:<kind>                  publishing: the document kind (enum name: NQ, QD, …)
    rps:<action>                publishing steps: skipcode | today | skipdate | textdone | keep | send | hear | edit | cancel
    rpt:<org_id>                publishing: the target organisation
    sco:<document_id>:<org_id>  campaign: the organisation
    scs:<action>                campaign steps: w1 | w2 | m1 | noquiz | done | open | cancel
    scc:<option>                campaign: the right option of the question being written
    scv:<action>:<campaign_id>  campaign results: res | members | close

Voice: rendering (espeak, ~1 s for a summary) happens in the handler before `publish()` writes,
through the shared `VoiceRenderer` (`voice_renderer` service, or one built from `settings`); its
disk cache means the preview the publisher heard is not synthesised again.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter, or_f

from bot.filters import Linked
from bot.flow import leave_flow_for_menu, menu_or_command
from bot.routers.resolutions import campaigns, document, library, publishing, quizzes, voice_notes, voice_prefs
from bot.routers.resolutions.common import CampaignFlow, PublishFlow, SearchFlow
from bot.routers.resolutions.voice_prefs import voice_settings_markup
from core import texts

__all__ = ["build", "voice_settings_markup"]


def _entries() -> Router:
    """📜 Nghị quyết first; then a home button or a command in a flow ends the flow and goes to its owner."""
    router = Router(name="resolutions.entries")
    router.message.register(library.open_library, or_f(F.text == texts.account.BTN_RESOLUTIONS, Command("nghiquyet")))
    in_a_flow = StateFilter(*PublishFlow.__all_states__, *SearchFlow.__all_states__, *CampaignFlow.__all_states__)
    router.message.register(leave_flow_for_menu, in_a_flow, menu_or_command())
    return router


def build() -> Router:
    """Members only for messages and buttons (the parent's filters gate every sub-router); quiz poll
    answers come without a member check. A fresh tree for each dispatcher."""
    router = Router(name="resolutions")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.include_routers(
        _entries(), library.build(), document.build(), voice_notes.build(), voice_prefs.build(), publishing.build(), campaigns.build(),
        quizzes.build(),
    )
    return router

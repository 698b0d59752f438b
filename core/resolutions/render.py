"""What members read about a document: headers, the published message, the voice note, buttons.

Buttons built here (they travel in the outbox) use the same callback data the bot's
`CallbackData` factories parse (bot/routers/resolutions.py):

    rd:<action>:<document_id>   a document: open | full | save | unsave | study | listen | quiz | camp | res
    rv:<action>:<document_id>   under a voice note: again (🔁 Nghe lại) | slow (🐢 Nghe chậm hơn) | norm
"""

from __future__ import annotations

import datetime as dt
import html

from core import texts
from core.listening.models import Recording
from core.ports import Attachment, Button, OutboundMessage
from core.resolutions.models import Document

DOC_PREFIX = "rd"
VOICE_PREFIX = "rv"


def doc_data(action: str, document_id: int) -> str:
    return f"{DOC_PREFIX}:{action}:{document_id}"


def voice_data(action: str, document_id: int) -> str:
    return f"{VOICE_PREFIX}:{action}:{document_id}"


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def format_day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def kind_word(document: Document) -> str:
    return texts.resolutions.KIND_WORDS[document.kind.value]


def code_part(document: Document) -> str:
    return f" số {escape(document.code)}" if document.code else ""


def issued_part(document: Document) -> str:
    return texts.resolutions.ISSUED_ON.format(date=format_day(document.issued_on)) if document.issued_on else ""


def short_name(document: Document) -> str:
    """"Nghị quyết 21-NQ/TW" or the title: what a button or a caption can hold."""
    if document.code:
        return f"{kind_word(document)} {document.code}"
    return document.title


def header(document: Document, org_name: str) -> str:
    return texts.resolutions.DOCUMENT_HEADER.format(
        kind=kind_word(document), code=code_part(document), issued=issued_part(document),
        title=escape(document.title), org=escape(org_name),
    )


def summary_html(summary: str) -> str:
    return escape(summary.strip())


def published_text(document: Document, org_name: str, *, with_voice: bool) -> str:
    template = texts.resolutions.PUBLISHED_MESSAGE if with_voice else texts.resolutions.PUBLISHED_MESSAGE_NO_VOICE
    return template.format(
        org=escape(org_name), kind=kind_word(document), code=code_part(document), issued=issued_part(document),
        title=escape(document.title), summary=summary_html(document.summary),
    )


def published_buttons(document: Document) -> tuple[tuple[Button, ...], ...]:
    r = texts.resolutions
    return (
        (Button(r.BTN_FULL_TEXT, doc_data("full", document.id)), Button(r.BTN_SAVE, doc_data("save", document.id))),
        (Button(r.BTN_STUDIED, doc_data("study", document.id)),),
        (Button(r.BTN_REPLAY, voice_data("again", document.id)), Button(r.BTN_SLOWER, voice_data("slow", document.id))),
    )


def voice_caption(document: Document, *, part: int, parts: int) -> str:
    code = f" {escape(document.code)}" if document.code else ""
    if parts > 1:
        return texts.resolutions.VOICE_CAPTION_PART.format(kind=kind_word(document), code=code, part=part + 1, parts=parts)
    return texts.resolutions.VOICE_CAPTION.format(kind=kind_word(document), code=code)


def voice_buttons(document_id: int, *, speed: str) -> tuple[tuple[Button, ...], ...]:
    r = texts.resolutions
    other = Button(r.BTN_SLOWER, voice_data("slow", document_id)) if speed != "slow" else Button(r.BTN_NORMAL_SPEED, voice_data("norm", document_id))
    return ((Button(r.BTN_REPLAY, voice_data("again", document_id)), other),)


def item_label(document: Document, *, marker: str = "", limit: int = 60) -> str:
    """One library line as a big button: "📜 21-NQ/TW · Về tăng cường…"."""
    code = f"{document.code} · " if document.code else f"{kind_word(document)} · "
    label = f"{marker}{code}{document.title}"
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def chunks(text: str, limit: int = 3500) -> list[str]:
    """Split long plain text at paragraph, then line, then word boundaries."""
    parts: list[str] = []
    remaining = text.strip()
    while len(remaining) > limit:
        cut = remaining.rfind("\n\n", 0, limit)
        if cut < limit // 2:
            cut = remaining.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = remaining.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        parts.append(remaining[:cut].strip())
        remaining = remaining[cut:].strip()
    if remaining:
        parts.append(remaining)
    return parts


def caption(document: Document, language_name: str) -> str:
    """The caption of a person's recording of the document's summary."""
    code = f" {html.escape(document.code)}" if document.code else ""
    return texts.recordings.RECORDING_CAPTION.format(kind=kind_word(document), code=code, language=language_name.lower())


def recording_message(document: Document, recording: Recording, language_name: str) -> OutboundMessage:
    return OutboundMessage(
        text=caption(document, language_name),
        attachment=Attachment(kind="voice", path=recording.path, duration=recording.duration, cache_key=recording.cache_key,
                              filename="ghi-am.ogg"),
    )

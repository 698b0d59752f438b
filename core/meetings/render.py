"""Meetings as the HTML text people read — bot screens and outbox messages alike.

Templates live in core.texts.meetings; text people typed is always escaped here.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Protocol

from core import render as shared_render
from core import texts
from core.meetings import dates
from core.meetings.models import AbsenceReason, Answer, Meeting, MeetingDocument, MeetingKind
from core.ports import Button

# Button data carried by outbox messages. The bot's CallbackData factories pack to the same
# strings (a test holds them together); core cannot import aiogram.
ANSWER_PREFIX = "mti"  # mti:<yes|no|show>:<invitation_id>
DECISION_PREFIX = "mta"  # mta:<ok|no>:<invitation_id>:<revision>
MEETING_PREFIX = "mto"  # mto:<action>:<meeting_id>


class MeetingLike(Protocol):
    """What a meeting's text is made of: a `Meeting` row object, or the plain `MeetingFacts` the
    member's hot screens read (core.meetings.common)."""

    @property
    def kind(self) -> MeetingKind: ...
    @property
    def starts_at(self) -> dt.datetime: ...
    @property
    def place(self) -> str: ...
    @property
    def agenda(self) -> str: ...


class InvitationLike(Protocol):
    """What an answer's text is made of: an `Invitation` or the plain `InvitationFacts`."""

    @property
    def id(self) -> int: ...
    @property
    def revision(self) -> int: ...
    @property
    def reason_kind(self) -> AbsenceReason | None: ...
    @property
    def reason_text(self) -> str | None: ...
    @property
    def reason_voice_file_id(self) -> str | None: ...


def answer_data(action: str, invitation_id: int) -> str:
    return f"{ANSWER_PREFIX}:{action}:{invitation_id}"


def decision_data(action: str, invitation_id: int, revision: int) -> str:
    """A decision applies only to the version of the request the secretary read (`Invitation.revision`)."""
    return f"{DECISION_PREFIX}:{action}:{invitation_id}:{revision}"


def decision_buttons(invitation: InvitationLike) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(texts.meetings.BTN_APPROVE, decision_data("ok", invitation.id, invitation.revision)),
            Button(texts.meetings.BTN_REFUSE, decision_data("no", invitation.id, invitation.revision)),
        ),
    )


def meeting_data(action: str, meeting_id: int) -> str:
    return f"{MEETING_PREFIX}:{action}:{meeting_id}"


def escape(value: str) -> str:
    return html.escape(value, quote=False)


def title(meeting: MeetingLike) -> str:
    return texts.meetings.KINDS[meeting.kind.value]


def when(meeting: MeetingLike) -> str:
    return dates.format_when(meeting.starts_at)


def identity_line(meeting: MeetingLike) -> str:
    """"• Sinh hoạt thường kỳ — Thứ Năm, 10/12/2026 — 19:30 — 📍 Nhà văn hóa": one meeting told apart from another."""
    return texts.meetings.IDENTITY_LINE.format(title=title(meeting), when=when(meeting), place=escape(meeting.place))


def still_standing(others: Sequence[MeetingLike]) -> str:
    """After a notice about one meeting: the cell's other meetings at that time, which still stand."""
    if not others:
        return ""
    return texts.meetings.STILL_STANDING.format(lines="\n".join(identity_line(m) for m in others))


def short_date(meeting: MeetingLike) -> str:
    return dates.local(meeting.starts_at).strftime("%d/%m")


def lunar_line(meeting: MeetingLike, show_lunar: bool) -> str:
    if not show_lunar:
        return ""
    return texts.meetings.LUNAR_LINE.format(lunar=dates.format_lunar(dates.local(meeting.starts_at).date()))


def agenda_block(meeting: MeetingLike) -> str:
    return texts.meetings.AGENDA_BLOCK.format(agenda=escape(meeting.agenda)) if meeting.agenda else ""


def answer_label(answer: Answer) -> str:
    return texts.meetings.ANSWERS[answer.value]


def reason_label(invitation: InvitationLike, *, limit: int | None = None) -> str:
    """The reason as one line; a typed reason cut to `limit` characters (a summary line) when given."""
    if invitation.reason_kind is None:
        return ""
    label = texts.meetings.REASONS[invitation.reason_kind.value]
    if invitation.reason_kind == AbsenceReason.OTHER:
        if invitation.reason_text:
            typed = " ".join(invitation.reason_text.split())
            return escape(shared_render.shorten(typed, limit) if limit else typed)
        if invitation.reason_voice_file_id:
            return f"{label} {texts.meetings.VOICE_REASON}"
    return label


def answer_buttons(invitation_id: int) -> tuple[tuple[Button, ...], ...]:
    """One big button a row: the two answers an invitation asks for."""
    return (
        (Button(texts.meetings.BTN_ATTEND, answer_data("yes", invitation_id)),),
        (Button(texts.meetings.BTN_ABSENT, answer_data("no", invitation_id)),),
    )


def invitation_text(
    meeting: MeetingLike, *, cell_name: str, show_lunar: bool, document_count: int, obliged: bool = True
) -> str:
    return texts.meetings.INVITATION.format(
        title=title(meeting),
        cell=escape(cell_name),
        when=when(meeting),
        lunar_line=lunar_line(meeting, show_lunar),
        place=escape(meeting.place),
        agenda_block=agenda_block(meeting),
        documents_line=texts.meetings.DOCUMENTS_LINE.format(count=document_count) if document_count else "",
        exempt_note="" if obliged else texts.meetings.EXEMPT_NOTE,
    )


def absence_request_text(name: str, meeting: MeetingLike, invitation: InvitationLike) -> str:
    """What the secretary reads about one absence request (the voice, if any, travels with it)."""
    reason = invitation.reason_kind or AbsenceReason.OTHER
    detail = ""
    if invitation.reason_text and reason == AbsenceReason.OTHER:
        detail = f"\n«{escape(invitation.reason_text)}»"
    elif invitation.reason_text:
        detail = f" — «{escape(invitation.reason_text)}»"
    if invitation.reason_voice_file_id:
        detail += texts.meetings.ABSENCE_REQUEST_VOICE
    return texts.meetings.ABSENCE_REQUEST.format(
        name=escape(name), when=when(meeting), reason=texts.meetings.REASONS[reason.value], detail=detail
    )


def document_caption(meeting: Meeting, document: MeetingDocument) -> str:
    return texts.meetings.DOCUMENT_CAPTION.format(date=short_date(meeting), name=escape(document.filename))


def change_lines(changes: Sequence[tuple[str, str, str]]) -> str:
    """Each change is (field, old, new) with values already escaped."""
    lines = []
    for field, old, new in changes:
        if field == "when":
            lines.append(texts.meetings.CHANGE_WHEN.format(old=old, new=new))
        elif field == "place":
            lines.append(texts.meetings.CHANGE_PLACE.format(old=old, new=new))
        elif field == "agenda":
            lines.append(texts.meetings.CHANGE_AGENDA.format(new=new))
        elif field == "documents":
            lines.append(texts.meetings.CHANGE_DOCUMENTS.format(count=new))
    return "\n".join(lines)


def percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "—"
    return f"{round(100 * part / whole)}%"


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"


def pack(parts: Sequence[str], limit: int = 4000) -> list[str]:
    """Join lines into as few messages as fit Telegram's length limit (see core.render.pack)."""
    return shared_render.pack(parts, limit=limit, separator="\n")

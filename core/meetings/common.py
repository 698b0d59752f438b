"""Meetings: limits, outbox kinds and the results the rules return."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from core import texts
from core.errors import Conflict
from core.meetings import render
from core.meetings.models import (
    AbsenceReason,
    Answer,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    RecurrenceRule,
)
from core.orgs.models import Org

MAX_AHEAD = dt.timedelta(days=366)

MAX_PLACE_CHARS = 200

MAX_AGENDA_CHARS = 2000

MAX_REASON_CHARS = 500

MAX_CONCLUSIONS_CHARS = 3500

MAX_VOICE_SECONDS = 5 * 60

# The secretary may open the attendance list a little before the start, at the door.
ATTENDANCE_OPENS_BEFORE = dt.timedelta(minutes=60)

# The member's 📅 Lịch họp keeps showing a meeting for a while after it started.
UPCOMING_GRACE = dt.timedelta(hours=3)

# A cell meeting takes about two hours: two meetings of one cell starting closer than this overlap.
OVERLAP_WINDOW = dt.timedelta(hours=2)

NOTIFY_PRIORITY = 5  # answers to people go before broadcasts

KIND_INVITATION = "invitation"

KIND_DOCUMENT = "invitation_document"

KIND_CHANGED = "meeting_changed"

KIND_CANCELLED = "meeting_cancelled"

KIND_ABSENCE_REQUEST = "absence_request"

KIND_ABSENCE_DECISION = "absence_decision"

KIND_CONCLUSIONS = "meeting_conclusions"



def source_of(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"



class MeetingOverlap(Conflict):
    """The cell already has a meeting at (about) that time: members would be invited twice.

    Refused unless the caller says it is deliberate (`allow_overlap`); `meetings` are the clashing ones."""

    code = "meeting_overlap"

    def __init__(self, meetings: Sequence[Meeting]) -> None:
        super().__init__(texts.meetings.OVERLAP_WARNING.format(lines="\n".join(render.identity_line(m) for m in meetings)))
        self.meetings = list(meetings)



class AbsenceRequestChanged(Conflict):
    """The member changed their answer or reason after the leader's card was made: that card decides nothing."""

    code = "absence_changed"

    def __init__(self) -> None:
        super().__init__(texts.meetings.ABSENCE_CHANGED)



@dataclass(frozen=True)
class InviteResult:
    invited: int  # invitations the meeting has
    newly_invited: int
    queued: int  # invitation messages newly queued
    unlinked_member_ids: list[int]



@dataclass(frozen=True)
class CreateResult:
    meeting: Meeting
    invite: InviteResult
    unlinked_names: list[str]
    rule: RecurrenceRule | None = None



@dataclass(frozen=True)
class EditResult:
    meeting: Meeting
    changes: list[tuple[str, str, str]]
    queued: int  # members who will read the change: a change notice, or their waiting invitation updated



@dataclass(slots=True)
class MeetingFacts:
    """A meeting as the member's screens show it, read as a plain row (no ORM object, no identity map):
    what the hot presses (📅 Lịch họp, ✅ Tôi sẽ dự họp, a reason for leave) need, and no more."""

    id: int
    cell_id: int
    kind: MeetingKind
    starts_at: dt.datetime
    place: str
    agenda: str
    status: MeetingStatus
    conclusions_text: str | None
    conclusions_voice_file_id: str | None



@dataclass(slots=True)
class InvitationFacts:
    """An invitation and its answer as a plain row (see `MeetingFacts`)."""

    id: int
    meeting_id: int
    member_id: int
    obliged: bool
    answer: Answer
    reason_kind: AbsenceReason | None
    reason_text: str | None
    reason_voice_file_id: str | None
    reason_voice_duration: int | None
    answered_at: dt.datetime | None
    revision: int
    decided_by_id: int | None
    decided_at: dt.datetime | None



@dataclass(frozen=True)
class InvitationView:
    """A member's own invitation as their screen shows it: the meeting, its cell's name and lunar-date
    setting, and how many documents it has."""

    invitation: InvitationFacts
    meeting: MeetingFacts
    cell_name: str
    show_lunar: bool
    document_count: int



@dataclass(frozen=True)
class AbsenceResult:
    """An answer given: the invitation as it is now (`view`: with what the member's screen shows)."""

    view: InvitationView
    changed: bool
    auto_excused: bool = False

    @property
    def invitation(self) -> InvitationFacts:
        return self.view.invitation

    @property
    def meeting(self) -> MeetingFacts:
        return self.view.meeting



@dataclass(frozen=True)
class AttendanceRow:
    member_id: int
    name: str
    present: bool
    answer: Answer



@dataclass(frozen=True)
class AttendanceSheet:
    meeting: Meeting
    cell: Org
    rows: list[AttendanceRow]

    @property
    def present(self) -> int:
        return sum(1 for row in self.rows if row.present)






@dataclass(frozen=True)
class AnswerLine:
    invitation: Invitation
    name: str



@dataclass(frozen=True)
class MeetingCard:
    meeting: Meeting
    cell: Org
    documents: list[MeetingDocument]
    rule: RecurrenceRule | None
    answers: list[AnswerLine] = field(default_factory=list)

    @property
    def pending(self) -> list[AnswerLine]:
        return [line for line in self.answers if line.invitation.answer == Answer.ABSENCE_REQUESTED]


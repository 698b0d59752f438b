"""Meeting rules: who may create, change and cancel; who is invited; answering and absences;
attendance; conclusions for those who were absent.

Who may do what:
- create, edit, cancel, decide absences, record attendance, send conclusions: whoever
  `Actor.leads_cell(cell)` — the cell's secretary or deputy, or a committee above it;
  nobody decides their own absence request;
- answer an invitation: only the member it was addressed to, until the meeting starts.

Every change members must know about goes through the outbox in the same transaction,
keyed by (kind, "meeting:<id>", member, suffix) so a repeat is a no-op: invitations once per
member, change notices once per `Meeting.version`, absence messages once per
`Invitation.revision`, conclusions once per `Meeting.conclusions_revision`.

The rules live in one module per concern; this module is their one entry point (`service.X`):
common (limits, outbox kinds, results), access (checks and loading), creating (invitations, new meetings),
editing (edit, cancel), answering (invitations, absences), attendance (attendance, conclusions),
views (what people see), recurrence (monthly rules), reading (API).
"""

from __future__ import annotations

from core.meetings.access import (
    clean_agenda,
    clean_place,
    documents_of,
    invitations_of,
    leaders_of,
    manageable_cells,
    managed_meeting,
    names_of,
    require_leads,
    validate_starts_at,
)
from core.meetings.answering import (
    absence_request_of,
    answer_attending,
    cancellable_meeting,
    decide_absence,
    editable_meeting,
    my_invitation,
    open_invitation,
    request_absence,
)
from core.meetings.attendance import (
    absentee_ids,
    attendance_sheet,
    conclusions_target,
    send_conclusions,
    set_attendance,
    toggle_attendance,
)
from core.meetings.common import (
    ATTENDANCE_OPENS_BEFORE,
    KIND_ABSENCE_DECISION,
    KIND_ABSENCE_REQUEST,
    KIND_CANCELLED,
    KIND_CHANGED,
    KIND_CONCLUSIONS,
    KIND_DOCUMENT,
    KIND_INVITATION,
    MAX_AGENDA_CHARS,
    MAX_AHEAD,
    MAX_CONCLUSIONS_CHARS,
    MAX_PLACE_CHARS,
    MAX_REASON_CHARS,
    MAX_VOICE_SECONDS,
    NOTIFY_PRIORITY,
    OVERLAP_WINDOW,
    UPCOMING_GRACE,
    AbsenceRequestChanged,
    AbsenceResult,
    AnswerLine,
    AttendanceRow,
    AttendanceSheet,
    CreateResult,
    EditResult,
    InvitationView,
    InviteResult,
    MeetingCard,
    MeetingOverlap,
    source_of,
)
from core.meetings.creating import (
    create_meeting,
    eligible_members,
    invite,
    overlapping_meetings,
)
from core.meetings.editing import (
    cancel_meeting,
    describe_changes,
    edit_meeting,
)
from core.meetings.reading import (
    MeetingAccess,
    attendance_of,
    document_for_viewer,
    list_meetings,
    meeting_for_viewer,
    own_invitation_id,
)
from core.meetings.recurrence import (
    cell_rules,
    create_occurrence,
    next_occurrence,
    stop_rule,
)
from core.meetings.views import (
    answer_lines,
    cell_meetings,
    invited_count,
    last_conclusions,
    meeting_card,
    meeting_invitee_count,
    upcoming_for_member,
    usual_schedule,
)

__all__ = [
    "MAX_AHEAD",
    "MAX_PLACE_CHARS",
    "MAX_AGENDA_CHARS",
    "MAX_REASON_CHARS",
    "MAX_CONCLUSIONS_CHARS",
    "MAX_VOICE_SECONDS",
    "ATTENDANCE_OPENS_BEFORE",
    "UPCOMING_GRACE",
    "OVERLAP_WINDOW",
    "NOTIFY_PRIORITY",
    "KIND_INVITATION",
    "KIND_DOCUMENT",
    "KIND_CHANGED",
    "KIND_CANCELLED",
    "KIND_ABSENCE_REQUEST",
    "KIND_ABSENCE_DECISION",
    "KIND_CONCLUSIONS",
    "source_of",
    "MeetingOverlap",
    "AbsenceRequestChanged",
    "InviteResult",
    "CreateResult",
    "EditResult",
    "AbsenceResult",
    "AttendanceRow",
    "AttendanceSheet",
    "InvitationView",
    "AnswerLine",
    "MeetingCard",
    "require_leads",
    "manageable_cells",
    "validate_starts_at",
    "clean_place",
    "clean_agenda",
    "managed_meeting",
    "documents_of",
    "invitations_of",
    "names_of",
    "leaders_of",
    "eligible_members",
    "invite",
    "overlapping_meetings",
    "create_meeting",
    "describe_changes",
    "edit_meeting",
    "cancel_meeting",
    "editable_meeting",
    "cancellable_meeting",
    "my_invitation",
    "open_invitation",
    "answer_attending",
    "request_absence",
    "absence_request_of",
    "decide_absence",
    "attendance_sheet",
    "toggle_attendance",
    "set_attendance",
    "absentee_ids",
    "conclusions_target",
    "send_conclusions",
    "upcoming_for_member",
    "last_conclusions",
    "cell_meetings",
    "meeting_card",
    "answer_lines",
    "usual_schedule",
    "invited_count",
    "meeting_invitee_count",
    "cell_rules",
    "stop_rule",
    "next_occurrence",
    "create_occurrence",
    "MeetingAccess",
    "meeting_for_viewer",
    "document_for_viewer",
    "list_meetings",
    "attendance_of",
    "own_invitation_id",
]

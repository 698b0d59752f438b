"""Meetings, invitations, answers, attendance and statistics as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.common import Id, StrictBool
from core.meetings import dates, service
from core.meetings.models import (
    AbsenceReason,
    Answer,
    DocumentKind,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    RecurrenceRule,
)
from core.meetings.stats import MeetingStats, MemberStats, PeriodStats, Totals
from core.orgs.models import Org

STARTS_AT_EXAMPLE = "2026-12-05T19:30:00+07:00"


class MeetingCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_id": 4, "kind": "regular", "starts_at": STARTS_AT_EXAMPLE, "place": "Nhà văn hóa thôn Khe Gầy",
                    "agenda": "1. Đánh giá kết quả tháng 11.\n2. Phương hướng tháng 12.", "repeat_monthly": True,
                }
            ]
        }
    )

    org_id: Id = Field(description="The cell (chi bộ) holding the meeting")
    kind: MeetingKind = Field(description="regular (thường kỳ), thematic (chuyên đề) or committee (chi ủy: only the cell committee is invited)")
    starts_at: AwareDatetime = Field(description="With its UTC offset; in the future and within a year")
    place: str = Field(min_length=1, max_length=service.MAX_PLACE_CHARS)
    agenda: str = Field("", max_length=service.MAX_AGENDA_CHARS)
    repeat_monthly: StrictBool = Field(False, description="Regular meetings only: create the meeting on this day of every month")
    allow_overlap: StrictBool = Field(
        False, description="Create it even when the cell has another meeting within two hours of `starts_at` "
                           "(otherwise 409 `meeting_overlap` with the clashing meetings)",
    )


class MeetingPatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"starts_at": "2026-12-06T08:00:00+07:00", "place": "Hội trường UBND xã"}]})

    starts_at: AwareDatetime | None = None
    place: str | None = Field(None, min_length=1, max_length=service.MAX_PLACE_CHARS)
    agenda: str | None = Field(None, max_length=service.MAX_AGENDA_CHARS)
    allow_overlap: StrictBool = Field(
        False, description="Move it even onto another meeting of the cell (otherwise 409 `meeting_overlap` with the clashing meetings)",
    )


class DocumentOut(BaseModel):
    id: int
    kind: DocumentKind
    filename: str = Field(examples=["Nghị quyết tháng 12.pdf"])
    mime_type: str = Field(examples=["application/pdf"])
    size: int = Field(description="Bytes", examples=[183_422])
    downloadable: bool = Field(
        description="GET /meetings/{meeting_id}/documents/{document_id} returns it (uploaded over the API); "
                    "a file attached in Telegram stays there", examples=[True],
    )

    @classmethod
    def of(cls, document: MeetingDocument) -> DocumentOut:
        return cls(id=document.id, kind=document.kind, filename=document.filename, mime_type=document.mime_type, size=document.size,
                   downloadable=bool(document.file_path))


class MeetingOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7, "org_id": 4, "org_name": "Chi bộ thôn Khe Gầy", "kind": "regular", "status": "scheduled",
                    "starts_at": "2026-12-05T12:30:00Z", "when": "Thứ Bảy, 05/12/2026 — 19:30", "lunar_date": None,
                    "place": "Nhà văn hóa thôn Khe Gầy", "agenda": "1. Đánh giá kết quả tháng 11.", "version": 1, "rule_id": 2,
                    "documents": [], "conclusions_text": None, "conclusions_sent_at": None,
                    "created_at": "2026-11-23T03:00:00Z", "updated_at": "2026-11-23T03:00:00Z",
                }
            ]
        }
    )

    id: int
    org_id: int
    org_name: str
    kind: MeetingKind
    status: MeetingStatus
    starts_at: dt.datetime = Field(description="UTC")
    when: str = Field(description="As members read it, in Vietnam's time")
    lunar_date: str | None = Field(description="Set when the cell shows lunar dates")
    place: str
    agenda: str
    version: int = Field(description="Bumped by every change members were told about")
    rule_id: int | None = Field(description="The monthly rule that created it, if any")
    documents: list[DocumentOut]
    conclusions_text: str | None
    conclusions_sent_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, meeting: Meeting, cell: Org, documents: list[MeetingDocument]) -> MeetingOut:
        return cls(
            id=meeting.id, org_id=cell.id, org_name=cell.name, kind=meeting.kind, status=meeting.status, starts_at=meeting.starts_at,
            when=dates.format_when(meeting.starts_at),
            lunar_date=dates.format_lunar(dates.local(meeting.starts_at).date()) if cell.show_lunar_date else None,
            place=meeting.place, agenda=meeting.agenda, version=meeting.version, rule_id=meeting.rule_id,
            documents=[DocumentOut.of(d) for d in documents], conclusions_text=meeting.conclusions_text,
            conclusions_sent_at=meeting.conclusions_sent_at, created_at=meeting.created_at, updated_at=meeting.updated_at,
        )


class InvitationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 31, "member_id": 12, "member_name": "Nguyễn Văn An", "obliged": True, "answer": "excused",
                    "reason_kind": "sick", "reason_text": None, "has_voice_reason": False, "answered_at": "2026-11-24T01:00:00Z",
                    "decided_by_id": 3, "decided_at": "2026-11-24T02:00:00Z", "present": False,
                }
            ]
        }
    )

    id: int
    member_id: int
    member_name: str
    obliged: bool = Field(description="False for an exempt member invited at their wish")
    answer: Answer
    reason_kind: AbsenceReason | None
    reason_text: str | None
    has_voice_reason: bool
    answered_at: dt.datetime | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    present: bool | None = Field(description="Attendance; null until recorded")
    revision: int = Field(0, description="Bumped by every change of answer or reason: pass it with a decision so it applies "
                                         "only to the request as it was read", examples=[2])

    @classmethod
    def of(cls, invitation: Invitation | service.InvitationFacts, name: str, present: bool | None) -> InvitationOut:
        return cls(
            id=invitation.id, member_id=invitation.member_id, member_name=name, obliged=invitation.obliged, answer=invitation.answer,
            reason_kind=invitation.reason_kind, reason_text=invitation.reason_text, revision=invitation.revision,
            has_voice_reason=invitation.reason_voice_file_id is not None, answered_at=invitation.answered_at,
            decided_by_id=invitation.decided_by_id, decided_at=invitation.decided_at, present=present,
        )


class MeetingStatsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"invited": 8, "attending": 1, "requested": 0, "excused": 1, "refused": 0, "no_answer": 6, "held": True,
                 "present": 3, "absent_excused": 2, "absent_unexcused": 3, "rate": 0.375}
            ]
        }
    )

    invited: int
    attending: int = Field(description="Answered ✅ Tôi sẽ dự họp")
    requested: int = Field(description="Absence requests waiting for a decision")
    excused: int = Field(description="Absence approved")
    refused: int = Field(description="Absence refused")
    no_answer: int
    held: bool = Field(description="Attendance recorded")
    present: int
    absent_excused: int = Field(description="Absent with leave, or exempt")
    absent_unexcused: int = Field(description="Absent without leave")
    rate: float | None = Field(description="present / invited once held")

    @classmethod
    def of(cls, stats: MeetingStats) -> MeetingStatsOut:
        return cls(
            invited=stats.invited, attending=stats.attending, requested=stats.requested, excused=stats.excused, refused=stats.refused,
            no_answer=stats.no_answer, held=stats.held, present=stats.present, absent_excused=stats.absent_excused,
            absent_unexcused=stats.absent_unexcused, rate=stats.rate,
        )


class MeetingDetail(MeetingOut):
    invitations: list[InvitationOut] = Field(description="Everyone invited for the cell's leaders; only the caller's own otherwise")
    stats: MeetingStatsOut | None = Field(description="For the cell's leaders")


class MeetingCreated(MeetingOut):
    invited: int = Field(description="Members invited", examples=[8])
    queued: int = Field(description="Invitations queued for delivery (linked accounts)", examples=[7])
    unlinked_member_ids: list[int] = Field(description="Invited members with no messenger account: tell them directly")


class MeetingEdited(MeetingOut):
    changed: list[str] = Field(description="when, place, agenda, documents", examples=[["when", "place"]])
    queued: int = Field(description="Members who will read the change: a change notice queued, or their invitation not sent yet updated")


class AnswerIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"answer": "attending"}, {"answer": "absent", "reason": "other", "reason_text": "Đi khám bệnh ở huyện"}]}
    )

    answer: Literal["attending", "absent"]
    reason: AbsenceReason | None = Field(None, description="Required for an absence")
    reason_text: str | None = Field(None, max_length=service.MAX_REASON_CHARS)


class DecisionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"approve": True, "revision": 2}]})

    approve: StrictBool
    revision: int | None = Field(
        None, ge=0, le=2**31 - 1,
        description="The invitation's `revision` the decision is about; when the member has changed the request since, "
                    "409 `absence_changed` and nothing is decided",
    )


class AttendanceIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"present_member_ids": [12, 13, 15]}]})

    present_member_ids: list[Id] = Field(max_length=10_000, description="Invitees who were present; every other invitee is absent")


class AttendanceRowOut(BaseModel):
    member_id: int
    name: str
    present: bool
    answer: Answer


class AttendanceOut(BaseModel):
    meeting_id: int
    present: int
    total: int
    rows: list[AttendanceRowOut]

    @classmethod
    def of(cls, sheet: service.AttendanceSheet) -> AttendanceOut:
        return cls(
            meeting_id=sheet.meeting.id, present=sheet.present, total=len(sheet.rows),
            rows=[AttendanceRowOut(member_id=r.member_id, name=r.name, present=r.present, answer=r.answer) for r in sheet.rows],
        )


class ConclusionsIn(BaseModel):
    text: str = Field(min_length=1, max_length=service.MAX_CONCLUSIONS_CHARS)


class ConclusionsOut(BaseModel):
    sent_to: int = Field(description="Absent invitees the conclusions were queued for", examples=[5])


class TotalsOut(BaseModel):
    meetings: int
    invited: int
    present: int
    absent_excused: int
    absent_unexcused: int
    rate: float | None

    @classmethod
    def from_totals(cls, totals: Totals) -> TotalsOut:
        return cls(
            meetings=totals.meetings, invited=totals.invited, present=totals.present, absent_excused=totals.absent_excused,
            absent_unexcused=totals.absent_unexcused, rate=totals.rate,
        )


class MonthOut(TotalsOut):
    month: str = Field(examples=["2026-12"])


class CellOut(TotalsOut):
    org_id: int
    name: str


class MemberOut(TotalsOut):
    member_id: int
    name: str
    card_number: str
    cell_name: str
    months: list[MonthOut] = Field(description="Months in which the member was invited")

    @classmethod
    def of(cls, member: MemberStats) -> MemberOut:
        return cls(
            **TotalsOut.from_totals(member).model_dump(), member_id=member.member_id, name=member.name, card_number=member.card_number,
            cell_name=member.cell_name,
            months=[MonthOut(**TotalsOut.from_totals(t).model_dump(), month=m.strftime("%Y-%m")) for m, t in sorted(member.months.items())],
        )


class PeriodStatsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_id": 4, "org_name": "Chi bộ thôn Khe Gầy", "start": "2026-06-01", "end": "2026-11-30",
                    "totals": {"meetings": 6, "invited": 48, "present": 40, "absent_excused": 5, "absent_unexcused": 3, "rate": 0.833},
                    "months": [{"month": "2026-11", "meetings": 1, "invited": 8, "present": 7, "absent_excused": 1, "absent_unexcused": 0, "rate": 0.875}],
                    "cells": [], "members": [],
                }
            ]
        }
    )

    org_id: int
    org_name: str
    start: dt.date
    end: dt.date
    totals: TotalsOut
    months: list[MonthOut]
    cells: list[CellOut] = Field(description="Per cell, for a committee")
    members: list[MemberOut] = Field(description="Per member, when `by_member=true`")

    @classmethod
    def of(cls, stats: PeriodStats, members: list[MemberStats]) -> PeriodStatsOut:
        return cls(
            org_id=stats.org.id, org_name=stats.org.name, start=stats.start, end=stats.end, totals=TotalsOut.from_totals(stats.totals),
            months=[MonthOut(**TotalsOut.from_totals(m).model_dump(), month=m.month.strftime("%Y-%m")) for m in stats.months],
            cells=[CellOut(**TotalsOut.from_totals(c).model_dump(), org_id=c.cell_id, name=c.name) for c in stats.cells],
            members=[MemberOut.of(m) for m in members],
        )


class RuleOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 2, "org_id": 4, "kind": "regular", "day_of_month": 5, "local_time": "19:30", "place": "Nhà văn hóa thôn Khe Gầy",
                 "agenda": "", "active": True, "next_starts_at": "2026-12-05T12:30:00Z", "stopped_at": None}
            ]
        }
    )

    id: int
    org_id: int
    kind: MeetingKind
    day_of_month: int = Field(description="1 to 31; a shorter month uses its last day")
    local_time: str = Field(description="Vietnam's time, HH:MM", examples=["19:30"])
    place: str
    agenda: str
    active: bool
    next_starts_at: dt.datetime | None = Field(description="UTC start of the next meeting it will create; null once stopped")
    stopped_at: dt.datetime | None

    @classmethod
    def of(cls, rule: RecurrenceRule, now: dt.datetime) -> RuleOut:
        return cls(
            id=rule.id, org_id=rule.cell_id, kind=rule.kind, day_of_month=rule.day_of_month, local_time=rule.local_time.strftime("%H:%M"),
            place=rule.place, agenda=rule.agenda, active=rule.active,
            next_starts_at=service.next_occurrence(rule, now)[1] if rule.active else None, stopped_at=rule.stopped_at,
        )

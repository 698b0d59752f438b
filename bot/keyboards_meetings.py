"""📅 Lịch họp: callback data and keyboards.

Callback data (each ≤ 64 bytes; every id is re-checked by core.meetings.service):
    mtm:<action>:<cell_id>          menu: new | mng (manage) | rules | home
    mtz:<cell_id>                   creating: the cell (when the person leads several)
    mtk:<kind>                      creating: regular | thematic | committee
    mtd:<yyyymmdd>                  a day picked (suggestion or calendar)
    mtc:<yyyymm>                    show the calendar of a month
    mtt:<hhmm>                      a time picked
    mtp:<index>                     a suggested place (index into the flow's list)
    mtf:<action>                    form steps: see FormAction
    mtn                             an inert button (calendar headers, past days)
    mti:<yes|no|show|hear>:<inv>    a member's invitation: attend, ask leave, show again, hear conclusions
    mtr:<reason>:<inv>              the reason for an absence
    mta:<ok|no>:<inv>:<revision>    a leader approves or refuses an absence request, as it was at that revision
    mto:<action>:<meeting_id>       a leader's meeting card: see MeetingAction
    mtx:<meeting_id>:<member_id>:<page>   attendance: toggle one member
    mty:<action>:<meeting_id>:<page>      attendance: page | all | done
    mtu:<rule_id>                   stop a monthly rule
    mts:<action>:<org_id>           statistics: show | members | csv | xlsx
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot import keyboards as kb
from bot.keyboards_reminders import settings_button
from bot.keyboards_reports import figures_button
from core import texts
from core.meetings import dates, render
from core.meetings.models import AbsenceReason, Invitation, Meeting, MeetingKind, MeetingStatus, RecurrenceRule
from core.meetings.service import AttendanceSheet, MeetingCard
from core.orgs.models import Org
from core.ports import Button
from core.listening.buttons import record_button
from core.listening.models import SubjectKind

ATTENDANCE_PAGE_SIZE = 20


class MenuAction(str, enum.Enum):
    NEW = "new"
    MANAGE = "mng"
    RULES = "rules"
    HOME = "home"


class FormAction(str, enum.Enum):
    CALENDAR = "cal"
    DEFAULT_AGENDA = "agd"
    NO_AGENDA = "noagd"
    DOCS_DONE = "docs"
    REPEAT = "rep"
    SEND = "send"
    CHANGE_WHEN = "when"
    CHANGE_PLACE = "place"
    CHANGE_AGENDA = "agenda"
    ADD_DOCS = "adddocs"
    SAVE = "save"
    CANCEL = "cancel"
    SEND_ANYWAY = "sendx"  # after the overlap warning: create it all the same
    SAVE_ANYWAY = "savex"


class InvitationAction(str, enum.Enum):
    YES = "yes"
    NO = "no"
    SHOW = "show"
    HEAR = "hear"


class DecisionAction(str, enum.Enum):
    APPROVE = "ok"
    REFUSE = "no"


class MeetingAction(str, enum.Enum):
    OPEN = "open"
    EDIT = "edit"
    CANCEL = "cancel"
    CANCEL_OK = "cancel_ok"
    ATTENDANCE = "attend"
    CONCLUSIONS = "concl"
    ANSWERS = "answers"
    PENDING = "pending"


class AttendanceAction(str, enum.Enum):
    PAGE = "page"
    ALL = "all"
    DONE = "done"


class StatsAction(str, enum.Enum):
    SHOW = "show"
    MEMBERS = "members"
    CSV = "csv"
    XLSX = "xlsx"


class MeetMenu(CallbackData, prefix="mtm"):
    action: MenuAction
    cell_id: int = 0


class FormCell(CallbackData, prefix="mtz"):
    cell_id: int


class FormKind(CallbackData, prefix="mtk"):
    kind: MeetingKind


class FormDay(CallbackData, prefix="mtd"):
    day: str  # yyyymmdd


class FormMonth(CallbackData, prefix="mtc"):
    month: str  # yyyymm


class FormTime(CallbackData, prefix="mtt"):
    hhmm: str


class FormPlace(CallbackData, prefix="mtp"):
    index: int


class Form(CallbackData, prefix="mtf"):
    action: FormAction


class Inert(CallbackData, prefix="mtn"):
    pass


class InvitationButton(CallbackData, prefix=render.ANSWER_PREFIX):
    action: InvitationAction
    invitation_id: int


class ReasonButton(CallbackData, prefix="mtr"):
    reason: AbsenceReason
    invitation_id: int


class DecisionButton(CallbackData, prefix=render.DECISION_PREFIX):
    action: DecisionAction
    invitation_id: int
    revision: int


class MeetingButton(CallbackData, prefix=render.MEETING_PREFIX):
    action: MeetingAction
    meeting_id: int


class AttendanceToggle(CallbackData, prefix="mtx"):
    meeting_id: int
    member_id: int
    page: int


class AttendanceButton(CallbackData, prefix="mty"):
    action: AttendanceAction
    meeting_id: int
    page: int = 0


class RuleStop(CallbackData, prefix="mtu"):
    rule_id: int


class StatsButton(CallbackData, prefix="mts"):
    action: StatsAction
    org_id: int


def _b(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())


def _pairs(buttons: Sequence[Button]) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def cancel_row() -> tuple[Button, ...]:
    return (_b(texts.meetings.BTN_CANCEL_FLOW, Form(action=FormAction.CANCEL)),)


# ---------------------------------------------------------------- menu


def menu(upcoming: Sequence[tuple[render.MeetingLike, int, bool]], *, leads: bool, hear_invitation_id: int | None) -> InlineKeyboardMarkup | None:
    """`upcoming`: (meeting, invitation id, answered already) of each meeting still open for answers."""
    rows: list[tuple[Button, ...]] = []
    for meeting, invitation_id, answered in upcoming:
        label = texts.meetings.BTN_CHANGE_ANSWER if answered else texts.meetings.BTN_ANSWER
        rows.append((_b(label.format(date=render.short_date(meeting)),
                        InvitationButton(action=InvitationAction.SHOW, invitation_id=invitation_id)),))
    if hear_invitation_id is not None:
        rows.append((_b(texts.meetings.BTN_HEAR_CONCLUSIONS, InvitationButton(action=InvitationAction.HEAR, invitation_id=hear_invitation_id)),))
    if leads:
        rows.append((_b(texts.meetings.BTN_NEW, MeetMenu(action=MenuAction.NEW)),))
        rows.append((_b(texts.meetings.BTN_MANAGE, MeetMenu(action=MenuAction.MANAGE)), _b(texts.meetings.BTN_RULES, MeetMenu(action=MenuAction.RULES))))
        rows.append((settings_button(),))
    return kb.inline(rows) if rows else None


def cells(choices: Sequence[Org]) -> InlineKeyboardMarkup:
    return kb.inline([(_b(org.name, FormCell(cell_id=org.id)),) for org in choices] + [cancel_row()])


# ---------------------------------------------------------------- the form


def kinds() -> InlineKeyboardMarkup:
    return kb.inline([(_b(texts.meetings.KIND_BUTTONS[kind.value], FormKind(kind=kind)),) for kind in MeetingKind] + [cancel_row()])


def day_data(day: dt.date) -> FormDay:
    return FormDay(day=day.strftime("%Y%m%d"))


def days(suggestions: Sequence[dt.date], *, usual: dt.date | None, usual_day_of_month: int | None) -> InlineKeyboardMarkup:
    """The cell's usual day first (its own row), then the coming weekend days two a row."""
    rows: list[tuple[Button, ...]] = []
    if usual is not None and usual_day_of_month is not None:
        label = texts.meetings.BTN_USUAL_DAY.format(day=dates.format_short_day(usual), dom=usual_day_of_month)
        rows.append((_b(label, day_data(usual)),))
    rows += _pairs([_b(dates.format_short_day(day), day_data(day)) for day in suggestions if day != usual])
    rows.append((_b(texts.meetings.BTN_CALENDAR, Form(action=FormAction.CALENDAR)),))
    rows.append(cancel_row())
    return kb.inline(rows)


def next_year(day: dt.date | None) -> InlineKeyboardMarkup:
    """After a day typed without a year that has passed this year: that day next year, or another day."""
    rows: list[tuple[Button, ...]] = []
    if day is not None:
        rows.append((_b(texts.meetings.BTN_NEXT_YEAR.format(day=dates.format_short_day(day) + f"/{day.year}"), day_data(day)),))
    rows.append((_b(texts.meetings.BTN_CALENDAR, Form(action=FormAction.CALENDAR)),))
    rows.append(cancel_row())
    return kb.inline(rows)


def calendar(year: int, month: int, *, today: dt.date, last_day: dt.date) -> InlineKeyboardMarkup:
    inert = Inert()
    rows: list[tuple[Button, ...]] = [
        (_b(texts.meetings.MONTH_TITLE.format(month=f"{month:02d}", year=year), inert),),
        tuple(_b(name, inert) for name in texts.meetings.WEEKDAY_HEADER),
    ]
    for week in dates.month_grid(year, month):
        row = []
        for day in week:
            if day is None or day < today or day > last_day:
                row.append(_b(" " if day is None else "·", inert))
            else:
                row.append(_b(str(day.day), day_data(day)))
        rows.append(tuple(row))
    navigation = []
    previous = dates.add_months(year, month, -1)
    following = dates.add_months(year, month, 1)
    if previous >= (today.year, today.month):
        navigation.append(_b(texts.meetings.BTN_PREV_MONTH, FormMonth(month=f"{previous[0]}{previous[1]:02d}")))
    if following <= (last_day.year, last_day.month):
        navigation.append(_b(texts.meetings.BTN_NEXT_MONTH, FormMonth(month=f"{following[0]}{following[1]:02d}")))
    if navigation:
        rows.append(tuple(navigation))
    rows.append(cancel_row())
    return kb.inline(rows)


def times(last_time: dt.time | None) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = []
    if last_time is not None:
        rows.append((_b(texts.meetings.BTN_LAST_TIME.format(time=dates.format_time(last_time)), FormTime(hhmm=last_time.strftime("%H%M"))),))
    common = [_b(dates.format_time(t), FormTime(hhmm=t.strftime("%H%M"))) for t in dates.COMMON_TIMES if t != last_time]
    rows += _pairs(common)
    rows.append(cancel_row())
    return kb.inline(rows)


def places(choices: Sequence[str]) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = [(_b("📍 " + place[:60], FormPlace(index=index)),) for index, place in enumerate(choices)]
    rows.append(cancel_row())
    return kb.inline(rows)


def agenda(kind: MeetingKind) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = []
    if kind == MeetingKind.REGULAR:
        rows.append((_b(texts.meetings.BTN_DEFAULT_AGENDA, Form(action=FormAction.DEFAULT_AGENDA)),))
    rows.append(cancel_row())
    return kb.inline(rows)


def documents(has_documents: bool) -> InlineKeyboardMarkup:
    label = texts.meetings.BTN_DOCUMENTS_DONE if has_documents else texts.meetings.BTN_NO_DOCUMENTS
    return kb.inline([(_b(label, Form(action=FormAction.DOCS_DONE)),), cancel_row()])


def review(kind: MeetingKind, *, repeat: bool) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = [(_b(texts.meetings.BTN_SEND, Form(action=FormAction.SEND)),)]
    if kind == MeetingKind.REGULAR:
        label = texts.meetings.BTN_REPEAT_ON if repeat else texts.meetings.BTN_REPEAT_OFF
        rows.append((_b(label, Form(action=FormAction.REPEAT)),))
    rows += _edit_rows()
    rows.append(cancel_row())
    return kb.inline(rows)


def _edit_rows() -> list[tuple[Button, ...]]:
    return [
        (_b(texts.meetings.BTN_CHANGE_WHEN, Form(action=FormAction.CHANGE_WHEN)), _b(texts.meetings.BTN_CHANGE_PLACE, Form(action=FormAction.CHANGE_PLACE))),
        (_b(texts.meetings.BTN_CHANGE_AGENDA, Form(action=FormAction.CHANGE_AGENDA)), _b(texts.meetings.BTN_ADD_DOCUMENTS, Form(action=FormAction.ADD_DOCS))),
    ]


def overlap(*, editing: bool) -> InlineKeyboardMarkup:
    """After the warning that the cell already meets at that time: change the time, or go on deliberately."""
    go_on = (_b(texts.meetings.BTN_SAVE_ANYWAY, Form(action=FormAction.SAVE_ANYWAY)) if editing
             else _b(texts.meetings.BTN_SEND_ANYWAY, Form(action=FormAction.SEND_ANYWAY)))
    return kb.inline([(_b(texts.meetings.BTN_CHANGE_WHEN, Form(action=FormAction.CHANGE_WHEN)),), (go_on,), cancel_row()])


def edit_menu() -> InlineKeyboardMarkup:
    return kb.inline([*_edit_rows(), cancel_row()])


def edit_review() -> InlineKeyboardMarkup:
    return kb.inline([(_b(texts.meetings.BTN_SAVE_EDIT, Form(action=FormAction.SAVE)),), *_edit_rows(), cancel_row()])


# ---------------------------------------------------------------- answering


def answers(invitation_id: int) -> InlineKeyboardMarkup:
    return kb.inline(render.answer_buttons(invitation_id))


def reasons(invitation_id: int) -> InlineKeyboardMarkup:
    buttons = [_b(texts.meetings.REASON_BUTTONS[r.value], ReasonButton(reason=r, invitation_id=invitation_id)) for r in AbsenceReason]
    rows = _pairs(buttons)
    rows.append((_b(texts.meetings.BTN_BACK, InvitationButton(action=InvitationAction.SHOW, invitation_id=invitation_id)),))
    return kb.inline(rows)


def back_to_invitation(invitation_id: int) -> InlineKeyboardMarkup:
    return kb.inline([(_b(texts.meetings.BTN_BACK, InvitationButton(action=InvitationAction.SHOW, invitation_id=invitation_id)),)])


def decision(invitation: Invitation) -> InlineKeyboardMarkup:
    """Đồng ý / Không đồng ý for the request as it is now (its revision travels in the data)."""
    return kb.inline(render.decision_buttons(invitation))


# ---------------------------------------------------------------- managing


def meeting_list(meetings: Sequence[Meeting]) -> InlineKeyboardMarkup:
    rows = [
        (_b(texts.meetings.LIST_BUTTON.format(
                status=texts.meetings.STATUSES[m.status.value], day=dates.format_short_day(dates.local(m.starts_at).date()),
                time=dates.format_time(dates.local(m.starts_at).time()), place=m.place[:24]),
            MeetingButton(action=MeetingAction.OPEN, meeting_id=m.id)),)
        for m in meetings
    ]
    rows.append((_b(texts.meetings.BTN_BACK, MeetMenu(action=MenuAction.HOME)),))
    return kb.inline(rows)


def card(view: MeetingCard, *, now: dt.datetime, attendance_open_from: dt.datetime) -> InlineKeyboardMarkup:
    meeting = view.meeting
    mid = meeting.id
    rows: list[tuple[Button, ...]] = []
    if meeting.status == MeetingStatus.SCHEDULED and now < meeting.starts_at:
        rows.append((_b(texts.meetings.BTN_EDIT, MeetingButton(action=MeetingAction.EDIT, meeting_id=mid)),
                     _b(texts.meetings.BTN_CANCEL_MEETING, MeetingButton(action=MeetingAction.CANCEL, meeting_id=mid))))
    if meeting.status != MeetingStatus.CANCELLED:
        if view.pending:
            rows.append((_b(texts.meetings.BTN_PENDING.format(count=len(view.pending)), MeetingButton(action=MeetingAction.PENDING, meeting_id=mid)),))
        rows.append((_b(texts.meetings.BTN_ANSWERS, MeetingButton(action=MeetingAction.ANSWERS, meeting_id=mid)),))
        if meeting.status == MeetingStatus.HELD or now >= attendance_open_from:
            rows.append((_b(texts.meetings.BTN_ATTENDANCE, MeetingButton(action=MeetingAction.ATTENDANCE, meeting_id=mid)),))
        if meeting.status == MeetingStatus.HELD:
            rows.append((_b(texts.meetings.BTN_CONCLUSIONS, MeetingButton(action=MeetingAction.CONCLUSIONS, meeting_id=mid)),))
    rows.append((_b(texts.meetings.BTN_BACK, MeetMenu(action=MenuAction.MANAGE)),))
    return kb.inline(rows)


def confirm_cancel(meeting_id: int) -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (_b(texts.meetings.BTN_CONFIRM_CANCEL, MeetingButton(action=MeetingAction.CANCEL_OK, meeting_id=meeting_id)),),
            (_b(texts.meetings.BTN_KEEP, MeetingButton(action=MeetingAction.OPEN, meeting_id=meeting_id)),),
        ]
    )


def back_to(meeting_id: int) -> InlineKeyboardMarkup:
    return kb.inline([(_b(texts.meetings.BTN_BACK, MeetingButton(action=MeetingAction.OPEN, meeting_id=meeting_id)),)])


def attendance_pages(sheet: AttendanceSheet) -> int:
    return max(1, -(-len(sheet.rows) // ATTENDANCE_PAGE_SIZE))


def attendance(sheet: AttendanceSheet, page: int) -> InlineKeyboardMarkup:
    mid = sheet.meeting.id
    page = min(max(0, page), attendance_pages(sheet) - 1)
    chunk = sheet.rows[page * ATTENDANCE_PAGE_SIZE : (page + 1) * ATTENDANCE_PAGE_SIZE]
    rows: list[tuple[Button, ...]] = []
    for row in chunk:
        mark = texts.meetings.PRESENT_MARK if row.present else (
            texts.meetings.EXCUSED_MARK if row.answer.value == "excused" else texts.meetings.ABSENT_MARK
        )
        rows.append((_b(f"{mark} {row.name}"[:60], AttendanceToggle(meeting_id=mid, member_id=row.member_id, page=page)),))
    navigation = []
    if page > 0:
        navigation.append(_b(texts.meetings.BTN_PREV_PAGE, AttendanceButton(action=AttendanceAction.PAGE, meeting_id=mid, page=page - 1)))
    if page < attendance_pages(sheet) - 1:
        navigation.append(_b(texts.meetings.BTN_NEXT_PAGE, AttendanceButton(action=AttendanceAction.PAGE, meeting_id=mid, page=page + 1)))
    if navigation:
        rows.append(tuple(navigation))
    rows.append((_b(texts.meetings.BTN_ALL_PRESENT, AttendanceButton(action=AttendanceAction.ALL, meeting_id=mid, page=page)),
                 _b(texts.meetings.BTN_ATTENDANCE_DONE, AttendanceButton(action=AttendanceAction.DONE, meeting_id=mid, page=page))))
    return kb.inline(rows)


def after_attendance(meeting_id: int, *, absentees: bool) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = []
    if absentees:
        rows.append((_b(texts.meetings.BTN_CONCLUSIONS, MeetingButton(action=MeetingAction.CONCLUSIONS, meeting_id=meeting_id)),))
    rows.append((_b(texts.meetings.BTN_BACK, MeetingButton(action=MeetingAction.OPEN, meeting_id=meeting_id)),))
    return kb.inline(rows)


def rules(items: Sequence[RecurrenceRule]) -> InlineKeyboardMarkup:
    rows = [(_b(texts.meetings.BTN_STOP_RULE.format(day=rule.day_of_month), RuleStop(rule_id=rule.id)),) for rule in items]
    rows.append((_b(texts.meetings.BTN_BACK, MeetMenu(action=MenuAction.HOME)),))
    return kb.inline(rows)


# ---------------------------------------------------------------- statistics


def stats_orgs(orgs: Sequence[Org]) -> InlineKeyboardMarkup:
    return kb.inline([(_b(org.name, StatsButton(action=StatsAction.SHOW, org_id=org.id)),) for org in orgs])


def stats(org_id: int) -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (_b(texts.meetings.BTN_STATS_MEMBERS, StatsButton(action=StatsAction.MEMBERS, org_id=org_id)),),
            (_b(texts.meetings.BTN_STATS_CSV, StatsButton(action=StatsAction.CSV, org_id=org_id)),
             _b(texts.meetings.BTN_STATS_XLSX, StatsButton(action=StatsAction.XLSX, org_id=org_id))),
            (figures_button(org_id),),  # 📈 Số liệu tổng hợp (bot/routers/reports/ answers it)
        ]
    )


def after_conclusions(meeting_id: int) -> InlineKeyboardMarkup:
    """After sending conclusions: read them aloud in a language (🎙), or back to the meeting."""
    return kb.inline([(record_button(SubjectKind.CONCLUSIONS, meeting_id),),
                      (_b(texts.meetings.BTN_BACK, MeetingButton(action=MeetingAction.OPEN, meeting_id=meeting_id)),)])

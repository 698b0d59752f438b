"""Meeting reminders: planned from `Meeting.starts_at`, sent once, across restarts and instances.

Two tick jobs:
- `plan_reminders` diffs each upcoming meeting's time against the time its reminders were planned
  for, and (re)plans the rows: a new meeting gets its rows, a moved meeting gets new due times.
- `send_due_reminders` claims due rows (SKIP LOCKED on PostgreSQL), drops those no longer useful
  (meeting started, cancelled or moved; member excused; nudge but already answered), and queues
  the rest in the outbox under a key that includes the meeting time, so the same reminder for the
  same meeting time can never be queued twice, whatever runs concurrently.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.db import among
from core.delivery.outbox import Queued, enqueue_batch
from core.meetings import dates, render
from core.meetings.models import Answer, Invitation, Meeting, MeetingStatus
from core.orgs.models import Org
from core.ports import OutboundMessage
from core.scheduling.models import MeetingReminder, ReminderKind, ReminderPlan, ReminderState
from core.scheduling.ticks import TickContext

PLAN_HORIZON = dt.timedelta(days=40)
SEND_BATCH = 20_000
# A reminder must arrive at least this long before the start to be worth sending.
MIN_LEAD = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class ReminderSettings:
    """Per cell, from `Org.settings["reminders"]`; these defaults fit most cells."""

    eve_time: dt.time = dt.time(19, 0)
    before: dt.timedelta = dt.timedelta(hours=2)
    nudge: dt.timedelta = dt.timedelta(days=2)
    quiet_start: dt.time = dt.time(21, 30)
    quiet_end: dt.time = dt.time(6, 30)
    enabled: bool = True


def settings_of(cell: Org) -> ReminderSettings:
    return settings_of_raw(cell.settings if cell is not None else None)


def settings_of_raw(org_settings: dict[str, Any] | None) -> ReminderSettings:
    raw: dict[str, Any] = (org_settings or {}).get("reminders", {})

    def parse_time(value: Any, default: dt.time) -> dt.time:
        try:
            hours, minutes = str(value).split(":")
            return dt.time(int(hours), int(minutes))
        except (ValueError, AttributeError):
            return default

    defaults = ReminderSettings()
    return ReminderSettings(
        eve_time=parse_time(raw.get("eve_time"), defaults.eve_time) if "eve_time" in raw else defaults.eve_time,
        before=dt.timedelta(minutes=float(raw["before_minutes"])) if "before_minutes" in raw else defaults.before,
        nudge=dt.timedelta(hours=float(raw["nudge_hours"])) if "nudge_hours" in raw else defaults.nudge,
        quiet_start=parse_time(raw.get("quiet_start"), defaults.quiet_start) if "quiet_start" in raw else defaults.quiet_start,
        quiet_end=parse_time(raw.get("quiet_end"), defaults.quiet_end) if "quiet_end" in raw else defaults.quiet_end,
        enabled=bool(raw.get("enabled", True)),
    )


# ---------------------------------------------------------------- pure time rules


def in_quiet_hours(moment: dt.datetime, settings: ReminderSettings, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz).time()
    start, end = settings.quiet_start, settings.quiet_end
    return (local >= start or local < end) if start > end else (start <= local < end)


def next_allowed(moment: dt.datetime, settings: ReminderSettings, tz: ZoneInfo) -> dt.datetime:
    """The moment itself, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(moment, settings, tz):
        return moment
    local = moment.astimezone(tz)
    end_today = local.replace(hour=settings.quiet_end.hour, minute=settings.quiet_end.minute, second=0, microsecond=0)
    end = end_today if local < end_today else end_today + dt.timedelta(days=1)
    return end.astimezone(dt.timezone.utc)


def schedule(starts_at: dt.datetime, settings: ReminderSettings, tz: ZoneInfo) -> dict[ReminderKind, dt.datetime | None]:
    """When each reminder is due for a meeting at `starts_at`; None when no useful moment exists."""
    local_start = starts_at.astimezone(tz)
    eve_day = local_start.date() - dt.timedelta(days=1)
    raw = {
        ReminderKind.EVE: dt.datetime.combine(eve_day, settings.eve_time, tzinfo=tz).astimezone(dt.timezone.utc),
        ReminderKind.BEFORE: starts_at - settings.before,
        ReminderKind.NUDGE: starts_at - settings.nudge,
    }
    due: dict[ReminderKind, dt.datetime | None] = {}
    for kind, moment in raw.items():
        moved = next_allowed(moment, settings, tz)
        due[kind] = moved if moved <= starts_at - MIN_LEAD else None
    eve, before = due[ReminderKind.EVE], due[ReminderKind.BEFORE]
    if eve is not None and before is not None and abs(before - eve) < dt.timedelta(hours=3):
        # Quiet hours pushed the evening reminder next to the last one: one is enough.
        due[ReminderKind.EVE] = None
    return due


# ---------------------------------------------------------------- planning


def _insert_ignoring(session: AsyncSession):  # type: ignore[no-untyped-def]
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(MeetingReminder.__table__)


async def plan_meeting(session: AsyncSession, *, meeting: Meeting, cell: Org, tz: ZoneInfo, now: dt.datetime) -> int:
    """(Re)plan every invitation's reminders for the meeting's current time. Idempotent."""
    settings = settings_of(cell)
    due = schedule(meeting.starts_at, settings, tz) if settings.enabled else {kind: None for kind in ReminderKind}
    invitation_ids = list((await session.execute(select(Invitation.id).where(Invitation.meeting_id == meeting.id))).scalars())
    rows = []
    for invitation_id in invitation_ids:
        for kind, moment in due.items():
            # A reminder already due when planned would arrive on the heels of the invitation itself.
            useful = moment is not None and moment > now
            rows.append({
                "invitation_id": invitation_id, "meeting_id": meeting.id, "kind": kind.value,
                "due_at": moment or meeting.starts_at, "planned_for": meeting.starts_at,
                "state": (ReminderState.PENDING if useful else ReminderState.DROPPED).value,
                "reason": None if useful else "not_useful", "created_at": now,
            })
    written = 0
    for start in range(0, len(rows), 2000):
        chunk = rows[start : start + 2000]
        statement = _insert_ignoring(session)
        statement = statement.on_conflict_do_update(
            index_elements=["invitation_id", "kind"],
            set_={"due_at": statement.excluded.due_at, "planned_for": statement.excluded.planned_for,
                  "state": statement.excluded.state, "reason": statement.excluded.reason, "sent_at": None},
            # A reminder already sent for this very meeting time stays sent.
            where=MeetingReminder.__table__.c.planned_for != statement.excluded.planned_for,
        )
        await (await session.connection()).execute(statement, chunk)
        written += len(chunk)
    plan = await session.get(ReminderPlan, meeting.id)
    if plan is None:
        session.add(ReminderPlan(meeting_id=meeting.id, planned_for=meeting.starts_at, invitations=len(invitation_ids)))
    else:
        plan.planned_for = meeting.starts_at
        plan.invitations = len(invitation_ids)
    await session.flush()
    return written


async def plan_reminders(session: AsyncSession, context: TickContext) -> int:
    """Tick job: plan meetings that are new, moved, or got more invitations since last planned."""
    has_invitations = select(Invitation.id).where(Invitation.meeting_id == Meeting.id).correlate(Meeting).exists()
    query = (
        select(Meeting, Org)
        .join(Org, Org.id == Meeting.cell_id)
        .outerjoin(ReminderPlan, ReminderPlan.meeting_id == Meeting.id)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > context.now,
            Meeting.starts_at < context.now + PLAN_HORIZON,
            has_invitations,
            or_(ReminderPlan.meeting_id.is_(None), ReminderPlan.planned_for != Meeting.starts_at),
        )
        .limit(200)
    )
    planned = 0
    for meeting, cell in (await session.execute(query)).all():
        planned += await plan_meeting(session, meeting=meeting, cell=cell, tz=context.tz, now=context.now)
    return planned


# ---------------------------------------------------------------- sending


def _text(kind: ReminderKind, due: _Due) -> str:
    left = settings_of_raw(due.cell_settings).before
    hours = left.total_seconds() / 3600
    duration = texts.reminders.HOURS.format(count=f"{hours:g}") if hours >= 1 else texts.reminders.MINUTES.format(count=int(left.total_seconds() // 60))
    template = {ReminderKind.EVE: texts.reminders.EVE, ReminderKind.BEFORE: texts.reminders.BEFORE, ReminderKind.NUDGE: texts.reminders.NUDGE}[kind]
    kind_title = texts.meetings.KINDS[due.meeting_kind]
    return template.format(title=kind_title, cell=render.escape(due.cell_name), when=dates.format_when(due.starts_at),
                           place=render.escape(due.place), hours=duration)


@dataclass(frozen=True)
class _Due:
    """One due reminder with just what deciding and rendering need (plain columns: this path is hot)."""

    reminder_id: int
    kind: ReminderKind
    due_at: dt.datetime
    planned_for: dt.datetime
    invitation_id: int
    member_id: int
    answer: Answer
    meeting_id: int
    meeting_kind: str
    starts_at: dt.datetime
    status: MeetingStatus
    place: str
    cell_name: str
    cell_settings: dict[str, Any]


def _drop_reason(due: _Due, now: dt.datetime) -> str | None:
    if due.status != MeetingStatus.SCHEDULED:
        return "meeting_" + due.status.value
    if due.planned_for != due.starts_at:
        return "meeting_moved"  # planning will give it a new time
    if due.starts_at - MIN_LEAD <= now:
        return "stale"
    if due.answer == Answer.EXCUSED:
        return "excused"
    if due.kind == ReminderKind.NUDGE and due.answer != Answer.NONE:
        return "answered"
    return None


async def send_due_reminders(session: AsyncSession, context: TickContext, *, limit: int = SEND_BATCH) -> int:
    """Tick job: queue due reminders in the outbox, drop the ones no longer useful."""
    now = context.now
    query = (
        select(
            MeetingReminder.id, MeetingReminder.kind, MeetingReminder.due_at, MeetingReminder.planned_for,
            Invitation.id, Invitation.member_id, Invitation.answer,
            Meeting.id, Meeting.kind, Meeting.starts_at, Meeting.status, Meeting.place, Org.name, Org.settings,
        )
        .join(Invitation, Invitation.id == MeetingReminder.invitation_id)
        .join(Meeting, Meeting.id == MeetingReminder.meeting_id)
        .join(Org, Org.id == Meeting.cell_id)
        .where(MeetingReminder.state == ReminderState.PENDING, MeetingReminder.due_at <= now)
        .order_by(MeetingReminder.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two schedulers split the due rows instead of waiting on each other.
        query = query.with_for_update(skip_locked=True, of=MeetingReminder)
    rows = [_Due(*row[:7], row[7], row[8].value if hasattr(row[8], "value") else row[8], *row[9:]) for row in (await session.execute(query)).all()]
    groups: dict[tuple[int, ReminderKind], list[_Due]] = defaultdict(list)
    dropped: dict[str, list[int]] = defaultdict(list)
    deferred: dict[dt.datetime, list[int]] = defaultdict(list)
    for due in rows:
        reason = _drop_reason(due, now)
        if reason is not None:
            dropped[reason].append(due.reminder_id)
            continue
        settings = settings_of_raw(due.cell_settings)
        if in_quiet_hours(now, settings, context.tz):
            # Caught up after downtime in the middle of the night: wait for morning if that still helps.
            morning = next_allowed(now, settings, context.tz)
            if morning <= due.starts_at - MIN_LEAD:
                deferred[morning].append(due.reminder_id)
            else:
                dropped["quiet_hours"].append(due.reminder_id)
            continue
        groups[(due.meeting_id, due.kind)].append(due)
    queued: list[Queued] = []
    for (meeting_id, kind), items in groups.items():
        text = _text(kind, items[0])  # the same words for everyone invited; only the buttons differ
        key_suffix = f"{kind.value}:{items[0].starts_at.isoformat()}"
        queued += [
            Queued(member_id=due.member_id, kind="reminder", source=f"meeting:{meeting_id}", key_suffix=key_suffix, priority=5,
                   message=OutboundMessage(text=text, buttons=render.answer_buttons(due.invitation_id) if due.answer == Answer.NONE else ()))
            for due in items
        ]
    await enqueue_batch(session, queued, not_before=now)
    sent_ids = [due.reminder_id for items in groups.values() for due in items]
    await _set_state(session, sent_ids, state=ReminderState.SENT, sent_at=now)
    for reason, ids in dropped.items():
        await _set_state(session, ids, state=ReminderState.DROPPED, reason=reason)
    for morning, ids in deferred.items():
        await _set_state(session, ids, due_at=morning)
    return len(sent_ids)


async def _set_state(session: AsyncSession, ids: list[int], **values: Any) -> None:
    for start in range(0, len(ids), 5000):
        await session.execute(
            update(MeetingReminder).where(among(session, MeetingReminder.id, ids[start : start + 5000]))
            .values(**values).execution_options(synchronize_session=False)
        )

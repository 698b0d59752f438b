"""Meeting reminders: planned from `Meeting.starts_at`, sent once, across restarts and instances.

What is due lives in `meeting_reminders`, one row per (invitation, kind), with its due time
precomputed (already moved out of quiet hours). Three tick jobs:

- `plan_reminders` diffs upcoming meetings changed since its last look against
  `meeting_reminder_plans` (the time and version each was planned for) and (re)plans their
  rows: a new meeting gets rows, a moved one new due times (and its reminders still waiting in
  the outbox for the old time are cancelled), an edited one rows for members invited since.
  No call from the meetings service is needed.
- `send_due_reminders` claims a bounded batch of due rows (SKIP LOCKED on PostgreSQL, so two
  schedulers split the work), drops those no longer useful (meeting cancelled, held, moved or
  about to start; member excused or unreachable; nudge but answered; superseded by a later
  reminder due at the same time, after downtime), defers those caught up during quiet hours
  to the morning, and queues the rest in the outbox under a key holding the meeting time: the
  same reminder for the same meeting time is never queued twice, whatever runs concurrently;
  a moved meeting may remind again.
- `prune_reminders` forgets rows of meetings long past.

Settings: `core.scheduling.settings` (in `Org.settings["reminders"]` of each cell and committee;
a cell's are inherited from the committees above it, resolved for a whole batch in two queries).
A committee's change is re-planned a batch of cells at a time (`replan_under`; the rest by the
`replan_committee_changes` tick job), so a province-wide change is never one unbounded request.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, String, bindparam, delete, func, or_, select, text, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import metrics, texts
from core.db import among, insert_for, rows_affected
from core.delivery.outbox import FILL, ROUTE_SQL, Queued, Recipient, cancel_pending, enqueue_batch, enqueue_rows, recipients_for
from core.meetings import dates, render
from core.meetings.models import Answer, Invitation, Meeting, MeetingDocument, MeetingStatus
from core.meetings.service import source_of
from core.orgs.models import Org, OrgKind
from core.orgs.service import in_subtree
from core.ports import OutboundMessage
from core.scheduling.models import MeetingReminder, ReminderKind, ReminderPlan, ReminderReplan, ReminderState, Watermark
from core.scheduling.settings import ReminderSettings, chains_of, effective, effective_settings, own_keys
from core.scheduling.context import TickContext

OUTBOX_KIND = "reminder"
PRIORITY = 5  # above broadcasts, below replies and change notices
PLAN_BATCH = 200  # meetings per tick
PLAN_WATERMARK = "plan_reminders"
# Cells re-planned after a committee's change: in the request that changes it (a commune's tens of
# cells are done at once), then per tick for the rest (a province of 20,000 cells in 100 ticks).
REPLAN_CELLS_AT_ONCE = 50
REPLAN_CELLS = 200
# A meeting change committed up to this long after its `updated_at` is still seen.
CHANGE_SKEW = dt.timedelta(minutes=10)
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
SEND_BATCH = 20_000  # reminders per tick
PRUNE_BATCH = 20_000
RETENTION = dt.timedelta(days=30)
# Planning: no reminder is due later than this before the start (the shortest offset a cell may
# choose, settings.BEFORE_MINUTES, is the same 15 minutes).
MIN_LEAD = dt.timedelta(minutes=15)
# Sending: a reminder reached on time (within ON_TIME of its due moment) still goes out until
# LAST_CALL before the start, so one due exactly MIN_LEAD before is sent by the tick that reaches
# it (using MIN_LEAD for sending too dropped every 15-minute reminder as stale). One caught up
# late (after downtime) is sent only while MIN_LEAD is left.
LAST_CALL = dt.timedelta(minutes=5)
ON_TIME = dt.timedelta(minutes=5)
# Reminders closer together than this are one too many: the earlier one is left out.
MIN_GAP = dt.timedelta(hours=3)
# A reminder due this soon after the invitation (or the notice that the meeting moved) would only
# repeat it; one due before it is pointless. Both are left out when planning.
JUST_TOLD = dt.timedelta(minutes=30)
MOVED = "meeting_moved"  # why a row was dropped: its meeting had moved (re-planning resets it)
# When several reminders of one invitation are due at once, the latest one alone is sent.
RANK = {ReminderKind.NUDGE: 0, ReminderKind.EVE: 1, ReminderKind.BEFORE: 2}


# ---------------------------------------------------------------- pure time rules


def schedule(starts_at: dt.datetime, settings: ReminderSettings, tz: ZoneInfo) -> dict[ReminderKind, dt.datetime | None]:
    """When each reminder is due for a meeting at `starts_at` (aware UTC, out of quiet hours);
    None when switched off or when no useful moment exists."""
    due: dict[ReminderKind, dt.datetime | None] = {kind: None for kind in ReminderKind}
    if not settings.enabled:
        return due
    starts_at = starts_at.astimezone(dt.timezone.utc)
    latest = starts_at - MIN_LEAD
    if settings.eve_time is not None:
        eve_day = starts_at.astimezone(tz).date() - dt.timedelta(days=1)
        eve_at = dt.datetime.combine(eve_day, settings.eve_time, tzinfo=tz).astimezone(dt.timezone.utc)
        due[ReminderKind.EVE] = settings.quiet.place(eve_at, deadline=latest, tz=tz)
    if settings.before is not None:
        due[ReminderKind.BEFORE] = settings.quiet.place(starts_at - settings.before, deadline=latest, tz=tz)
    if settings.nudge is not None:
        due[ReminderKind.NUDGE] = settings.quiet.place(starts_at - settings.nudge, deadline=latest, tz=tz)
    eve, before = due[ReminderKind.EVE], due[ReminderKind.BEFORE]
    if eve is not None and before is not None and abs(before - eve) < MIN_GAP:
        # Quiet hours pushed the evening reminder next to the last one (or the reverse): one is enough.
        due[ReminderKind.EVE] = None
    return due


def send_until(due_at: dt.datetime, starts_at: dt.datetime) -> dt.datetime:
    """The moment a reminder due at `due_at` is no longer worth sending (see LAST_CALL)."""
    return max(starts_at - MIN_LEAD, min(due_at + ON_TIME, starts_at - LAST_CALL))


def when_words(starts_at: dt.datetime, now: dt.datetime, tz: ZoneInfo) -> str:
    """"19:30 tối mai (Thứ Bảy, 05/12/2026)", relative to today in local time."""
    local = starts_at.astimezone(tz)
    part = next(name for hour, name in reversed(texts.reminders.PARTS_OF_DAY) if local.hour >= hour)
    values = {"time": dates.format_time(local.time()), "part": part, "day": dates.format_day(local.date())}
    days_ahead = (local.date() - now.astimezone(tz).date()).days
    template = {0: texts.reminders.WHEN_TODAY, 1: texts.reminders.WHEN_TOMORROW}.get(days_ahead, texts.reminders.WHEN_OTHER_DAY)
    return template.format(**values)


def time_left_words(left: dt.timedelta) -> str:
    """"2 tiếng", "1 tiếng rưỡi", "45 phút" (rounded as people say it)."""
    minutes = max(0, round(left.total_seconds() / 60))
    if minutes < 60:
        return texts.reminders.MINUTES.format(count=max(5, 5 * round(minutes / 5)))
    half_hours = round(minutes / 30)
    hours, half = divmod(half_hours, 2)
    return (texts.reminders.HOURS_HALF if half else texts.reminders.HOURS).format(count=hours)


# ---------------------------------------------------------------- planning


async def plan_meeting(
    session: AsyncSession, *, meeting_id: int, starts_at: dt.datetime, version: int, changed_at: dt.datetime,
    settings: ReminderSettings, tz: ZoneInfo, now: dt.datetime, settings_changed: bool = False,
) -> int:
    """(Re)plan every invitation's reminders for the meeting's current time. Idempotent.

    Rows already planned for this very time are left alone (sent stays sent); rows planned for
    another time are recomputed. A reminder due after the member was told (invited, or told of
    the change, `changed_at`) stays pending even if its time has passed meanwhile: the send job
    catches it up. Returns the number of invitations planned.
    """
    due = schedule(starts_at, settings, tz)
    invitations = (
        await session.execute(select(Invitation.id, Invitation.invited_at).where(Invitation.meeting_id == meeting_id).order_by(Invitation.id))
    ).all()
    rows: list[dict[str, Any]] = []
    for invitation_id, invited_at in invitations:
        told_at = max(changed_at, invited_at)
        for kind, moment in due.items():
            useful = moment is not None and moment > told_at + JUST_TOLD
            rows.append({
                "invitation_id": invitation_id, "meeting_id": meeting_id, "kind": kind.value,
                "due_at": moment or starts_at, "planned_for": starts_at,
                "state": (ReminderState.PENDING if useful else ReminderState.DROPPED).value,
                "reason": None if useful else ("off" if moment is None else "not_useful"),
                "sent_at": None, "created_at": now,
            })
    connection = await session.connection()
    table = MeetingReminder.__table__
    for start in range(0, len(rows), 2000):
        statement = insert_for(session, MeetingReminder)
        statement = statement.on_conflict_do_update(
            index_elements=["invitation_id", "kind"],
            set_={name: statement.excluded[name] for name in ("due_at", "planned_for", "state", "reason", "sent_at")},
            where=(
                # New settings for the same meeting time: every reminder not yet sent is recomputed.
                table.c.state != ReminderState.SENT.value if settings_changed
                # Also rows the send job dropped because the meeting had moved, in case it moved back.
                else or_(table.c.planned_for != statement.excluded.planned_for, table.c.reason == MOVED)
            ),
        )
        await connection.execute(statement, rows[start : start + 2000])
    plan = insert_for(session, ReminderPlan).values(
        meeting_id=meeting_id, planned_for=starts_at, meeting_version=version, invitations=len(invitations), planned_at=now
    )
    plan = plan.on_conflict_do_update(
        index_elements=["meeting_id"],
        set_={name: plan.excluded[name] for name in ("planned_for", "meeting_version", "invitations", "planned_at")},
    )
    await connection.execute(plan)
    return len(invitations)


async def replan_cell(session: AsyncSession, *, cell_id: int, settings: ReminderSettings, tz: ZoneInfo, now: dt.datetime) -> int:
    """A cell's reminder settings changed: re-plan the reminders of its upcoming meetings.

    Reminders already sent stay sent; one the new settings would have sent already is not sent
    late (the change counts as the moment members were last told). Returns meetings re-planned.
    """
    meetings = (
        await session.execute(
            select(Meeting.id, Meeting.starts_at, Meeting.version)
            .where(Meeting.cell_id == cell_id, Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now)
            .order_by(Meeting.id)
        )
    ).all()
    for meeting_id, starts_at, version in meetings:
        await plan_meeting(
            session, meeting_id=meeting_id, starts_at=starts_at, version=version, changed_at=now,
            settings=settings, tz=tz, now=now, settings_changed=True,
        )
    return len(meetings)


async def replan_under(
    session: AsyncSession, *, committee: Org, keys: Iterable[str], changed_at: dt.datetime, tz: ZoneInfo, now: dt.datetime,
    after_cell_id: int = 0, limit: int | None = None,
) -> tuple[int, int | None]:
    """A committee's settings changed (`keys`): re-plan the upcoming meetings of the next `limit`
    (REPLAN_CELLS) cells below it (by id, after `after_cell_id`), except cells that set every
    changed key themselves or below the committee (their settings did not change). Same
    semantics as `replan_cell`, the change (`changed_at`) counting as the moment members were
    told. Returns (meetings re-planned, the last cell id when more cells may follow, else None)."""
    changed_keys, limit = set(keys), limit or REPLAN_CELLS
    cells = (
        await session.execute(
            select(Org.id, Org.path, Org.settings)
            .where(in_subtree(committee.path), Org.kind == OrgKind.CELL, Org.id > after_cell_id)
            .order_by(Org.id)
            .limit(limit)
        )
    ).all()
    if not cells:
        return 0, None
    levels_above = len(committee.ancestor_ids)
    affected: dict[int, ReminderSettings] = {}
    for cell_id, chain in (await chains_of(session, cells)).items():
        set_below = {key for _, level in chain[levels_above:] for key in own_keys(level)}
        if changed_keys - set_below:
            affected[cell_id] = effective([level for _, level in chain])
    meetings = (
        await session.execute(
            select(Meeting.id, Meeting.cell_id, Meeting.starts_at, Meeting.version, Meeting.updated_at)
            .where(among(session, Meeting.cell_id, sorted(affected)), Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now)
            .order_by(Meeting.id)
        )
    ).all() if affected else []
    for meeting_id, cell_id, starts_at, version, updated_at in meetings:
        await plan_meeting(
            session, meeting_id=meeting_id, starts_at=starts_at, version=version, changed_at=max(changed_at, updated_at),
            settings=affected[cell_id], tz=tz, now=now, settings_changed=True,
        )
    return len(meetings), (cells[-1][0] if len(cells) == limit else None)


async def queue_replan(session: AsyncSession, *, committee: Org, keys: Iterable[str], changed_at: dt.datetime, after_cell_id: int | None) -> None:
    """Leave the rest of a committee's re-planning (cells after `after_cell_id`) to the tick. A
    re-planning still under way for it continues for the union of the keys, from the new change."""
    job = await session.get(ReminderReplan, committee.id)
    if job is None:
        if after_cell_id is None:
            return
        session.add(ReminderReplan(org_id=committee.id, keys=sorted(set(keys)), changed_at=changed_at, after_cell_id=after_cell_id))
    else:
        job.keys = sorted(set(job.keys or []) | set(keys))
        job.changed_at = changed_at
        if after_cell_id is not None:
            job.after_cell_id = after_cell_id
    await session.flush()


async def replan_committee_changes(session: AsyncSession, context: TickContext) -> int:
    """Tick job: the next batch of cells of one committee whose settings changed (`replan_under`).
    Idle, it is one look into a table that is nearly always empty. Returns meetings re-planned."""
    query = select(ReminderReplan).order_by(ReminderReplan.changed_at, ReminderReplan.org_id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two schedulers take different committees
    job = (await session.execute(query)).scalar_one_or_none()
    if job is None:
        return 0
    committee = await session.get(Org, job.org_id)
    if committee is None:
        await session.delete(job)
        return 0
    replanned, last = await replan_under(
        session, committee=committee, keys=job.keys or [], changed_at=job.changed_at, tz=context.tz, now=context.now,
        after_cell_id=job.after_cell_id,
    )
    if last is None:
        await session.delete(job)
    else:
        job.after_cell_id = last
    await session.flush()
    return replanned


async def plan_reminders(session: AsyncSession, context: TickContext) -> int:
    """Tick job: plan upcoming meetings that are new, moved, or changed since last planned.

    Only meetings changed since the last look are compared (an index range on
    `meetings.updated_at`, from a shared watermark minus CHANGE_SKEW for transactions that
    committed late), so an idle tick costs the same at any scale. Returns invitations planned.
    """
    mark = await session.scalar(select(Watermark.value).where(Watermark.name == PLAN_WATERMARK))
    since = (mark or EPOCH) - CHANGE_SKEW
    query = (
        select(Meeting.id, Meeting.starts_at, Meeting.version, Meeting.updated_at, Meeting.cell_id, ReminderPlan.planned_for)
        .outerjoin(ReminderPlan, ReminderPlan.meeting_id == Meeting.id)
        .where(
            Meeting.updated_at >= since,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > context.now,
            or_(
                ReminderPlan.meeting_id.is_(None),
                ReminderPlan.planned_for != Meeting.starts_at,
                ReminderPlan.meeting_version != Meeting.version,
            ),
        )
        .order_by(Meeting.updated_at, Meeting.id)
        .limit(PLAN_BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two schedulers plan different meetings; one being edited right now waits for the next tick.
        query = query.with_for_update(skip_locked=True, key_share=True, of=Meeting)
    rows = (await session.execute(query)).all()
    cell_settings = await effective_settings(session, {row[4] for row in rows})
    planned = 0
    for meeting_id, starts_at, version, changed_at, cell_id, planned_for in rows:
        if planned_for is not None and planned_for != starts_at:
            # Moved: reminders still waiting in the outbox name the old time.
            await cancel_pending(session, source=source_of(meeting_id), kind=OUTBOX_KIND)
        planned += await plan_meeting(
            session, meeting_id=meeting_id, starts_at=starts_at, version=version, changed_at=changed_at,
            settings=cell_settings[cell_id], tz=context.tz, now=context.now,
        )
    # A full batch: more may be waiting, continue from the last one next tick.
    reached = rows[-1][3] if len(rows) == PLAN_BATCH else context.now
    statement = insert_for(session, Watermark).values(name=PLAN_WATERMARK, value=reached)
    await session.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": statement.excluded.value}, where=Watermark.__table__.c.value < statement.excluded.value,
    ))
    return planned


# ---------------------------------------------------------------- sending


class _Due(NamedTuple):
    """One claimed reminder, as plain columns (this path is hot: a tuple is the cheapest record)."""

    reminder_id: int
    kind: ReminderKind
    due_at: dt.datetime
    planned_for: dt.datetime
    meeting_id: int
    invitation_id: int
    member_id: int
    answer: Answer


@dataclass(frozen=True)
class _Meeting:
    id: int
    kind: str
    starts_at: dt.datetime
    status: MeetingStatus
    place: str
    cell_name: str
    settings: ReminderSettings
    show_lunar: bool


def claim_query(now: dt.datetime, *, limit: int, dialect: str) -> Any:
    """Due pending reminders, oldest first: one index range scan on (state, due_at), nothing joined,
    so on PostgreSQL the lock (FOR UPDATE SKIP LOCKED) sits right on the scan. A second scheduler
    steps over the rows the first one holds (a lock check each) and takes the next batch instead of
    waiting for them, and no join runs over rows it would skip. What a reminder needs from its
    invitation, member and meeting is read for the claimed batch only, by primary key."""
    query = (
        select(
            # Plain column types: no per-value converters on this hot path (`_claim` makes them aware / enums).
            MeetingReminder.id, type_coerce(MeetingReminder.kind, String()), type_coerce(MeetingReminder.due_at, DateTime()),
            type_coerce(MeetingReminder.planned_for, DateTime()), MeetingReminder.meeting_id, MeetingReminder.invitation_id,
        )
        .where(MeetingReminder.state == ReminderState.PENDING, MeetingReminder.due_at <= now)
        .order_by(MeetingReminder.due_at)
        .limit(limit)
    )
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


async def _claim(session: AsyncSession, now: dt.datetime, limit: int) -> tuple[list[_Due], dict[int, Recipient]]:
    """Claim a batch (see `claim_query`) with each reminder's invitation (member, answer) and the
    members' accounts (`recipients_for`: the outbox's routing, read once for the batch and reused
    to queue). A member with no account to send to (unlinked, or no longer active) has none."""
    connection = await session.connection()
    rows = (await connection.execute(claim_query(now, limit=limit, dialect=connection.dialect.name))).all()
    if not rows:
        return [], {}
    invitations: dict[int, tuple[int, str]] = {}
    ids = [row[5] for row in rows]
    chunk = len(ids) if connection.dialect.name == "postgresql" else 5000  # one array on PostgreSQL, IN lists on SQLite
    for start in range(0, len(ids), chunk):
        found = await connection.execute(
            select(Invitation.id, Invitation.member_id, type_coerce(Invitation.answer, String()))
            .where(among(session, Invitation.id, ids[start : start + chunk]))
        )
        invitations.update((invitation_id, (member_id, answer)) for invitation_id, member_id, answer in found)
    kinds, answers, utc = {k.value: k for k in ReminderKind}, {a.value: a for a in Answer}, dt.timezone.utc
    claimed = [
        _Due(row[0], kinds[row[1]], row[2].replace(tzinfo=utc), row[3].replace(tzinfo=utc), row[4], row[5],
             invitations[row[5]][0], answers[invitations[row[5]][1]])
        for row in rows if row[5] in invitations
    ]
    if len(claimed) < len(rows):  # an invitation deletes its reminders (ON DELETE CASCADE): only a stray row
        await _set(session, [row[0] for row in rows if row[5] not in invitations], state=ReminderState.DROPPED, reason="invitation_gone")
    recipients, _ = await recipients_for(session, [due.member_id for due in claimed])
    return claimed, {recipient.member_id: recipient for recipient in recipients}


async def _latest_due(session: AsyncSession, invitation_ids: Sequence[int], now: dt.datetime) -> dict[int, tuple[dt.datetime, int]]:
    """For each invitation with more than one reminder due (after downtime), the latest one that is
    not a nudge, as (due_at, rank): whatever is due before it for the same member is superseded by
    it. Whether another scheduler holds that row does not matter: it follows the same rules.
    Looked up by the (invitation, kind) key; in the usual tick no invitation qualifies."""
    connection = await session.connection()
    due_now = (MeetingReminder.state == ReminderState.PENDING, MeetingReminder.due_at <= now)
    latest: dict[int, tuple[dt.datetime, int]] = {}
    ranks = {kind.value: rank for kind, rank in RANK.items()}
    chunk = max(1, len(invitation_ids)) if connection.dialect.name == "postgresql" else 5000  # one array on PostgreSQL
    for start in range(0, len(invitation_ids), chunk):
        several = (
            select(MeetingReminder.invitation_id)
            .where(among(session, MeetingReminder.invitation_id, list(invitation_ids[start : start + chunk])), *due_now)
            .group_by(MeetingReminder.invitation_id)
            .having(func.count() > 1)
        )
        rows = await connection.execute(
            select(MeetingReminder.invitation_id, type_coerce(MeetingReminder.kind, String()), type_coerce(MeetingReminder.due_at, DateTime()))
            .where(MeetingReminder.invitation_id.in_(several), MeetingReminder.kind.in_([ReminderKind.EVE, ReminderKind.BEFORE]), *due_now)
        )
        for invitation_id, kind, due_at in rows:
            key = (due_at.replace(tzinfo=dt.timezone.utc), ranks[kind])
            latest[invitation_id] = max(key, latest.get(invitation_id, key))
    return latest


async def _meetings(session: AsyncSession, meeting_ids: Iterable[int]) -> dict[int, _Meeting]:
    rows = (await session.execute(
        select(
            Meeting.id, Meeting.kind, Meeting.starts_at, Meeting.status, Meeting.place, Org.name, Org.settings, Org.show_lunar_date,
            Org.id, Org.path,
        )
        .join(Org, Org.id == Meeting.cell_id)
        .where(among(session, Meeting.id, list(meeting_ids)))
    )).all()
    # The cells' committees' settings: one more query for the whole batch.
    chains = await chains_of(session, {row[8]: (row[8], row[9], row[6]) for row in rows}.values())
    settings = {cell_id: effective([level for _, level in chain]) for cell_id, chain in chains.items()}
    return {
        row[0]: _Meeting(
            id=row[0], kind=getattr(row[1], "value", row[1]), starts_at=row[2], status=MeetingStatus(row[3]), place=row[4],
            cell_name=row[5], settings=settings[row[8]], show_lunar=bool(row[7]),
        )
        for row in rows
    }


async def _document_counts(session: AsyncSession, meeting_ids: Sequence[int]) -> dict[int, int]:
    if not meeting_ids:
        return {}
    rows = await session.execute(
        select(MeetingDocument.meeting_id, func.count(MeetingDocument.id))
        .where(among(session, MeetingDocument.meeting_id, list(meeting_ids)))
        .group_by(MeetingDocument.meeting_id)
    )
    return {meeting_id: int(count) for meeting_id, count in rows}


def _drop_reason(due: _Due, meeting: _Meeting | None, now: dt.datetime, *, superseded: bool, linked: bool) -> str | None:
    if meeting is None:
        return "meeting_gone"
    if meeting.status != MeetingStatus.SCHEDULED:
        return "meeting_" + meeting.status.value
    if due.planned_for != meeting.starts_at:
        return MOVED  # planning gives it a new time (and resets this row)
    if now >= send_until(due.due_at, meeting.starts_at):
        return "stale"
    if not meeting.settings.enabled:
        return "off"
    if due.answer == Answer.EXCUSED:
        return "excused"
    if due.kind == ReminderKind.NUDGE and due.answer != Answer.NONE:
        return "answered"
    if superseded:
        return "superseded"
    if not linked:
        return "unlinked"  # no account to send to (or no longer active)
    return None


def render_text(kind: ReminderKind, meeting: _Meeting, *, answer: Answer, now: dt.datetime, tz: ZoneInfo, documents: int) -> str:
    lunar_line = ""
    if meeting.show_lunar:
        lunar_line = texts.reminders.LUNAR_LINE.format(lunar=dates.format_lunar(meeting.starts_at.astimezone(tz).date()))
    answer_line = {
        Answer.NONE: texts.reminders.ANSWER_NONE, Answer.ABSENCE_REQUESTED: texts.reminders.ANSWER_ABSENCE_REQUESTED,
    }.get(answer, "")
    values = {
        "when": when_words(meeting.starts_at, now, tz), "lunar_line": lunar_line, "title": texts.meetings.KINDS[meeting.kind],
        "cell": render.escape(meeting.cell_name), "place": render.escape(meeting.place), "answer_line": answer_line,
        "documents_line": texts.reminders.DOCUMENTS_LINE.format(count=documents) if documents else "",
        "left": time_left_words(meeting.starts_at - now),
        "closing": texts.reminders.CLOSING_ABSENCE_REQUESTED if answer == Answer.ABSENCE_REQUESTED
        else texts.reminders.CLOSING_BEFORE if kind == ReminderKind.BEFORE else texts.reminders.CLOSING_EVE,
    }
    template = {ReminderKind.EVE: texts.reminders.EVE, ReminderKind.BEFORE: texts.reminders.BEFORE, ReminderKind.NUDGE: texts.reminders.NUDGE}[kind]
    return template.format(**values)


async def send_due_reminders(session: AsyncSession, context: TickContext, *, limit: int | None = None) -> int:
    """Tick job: queue due reminders in the outbox; drop or defer the others. Returns how many were queued.

    Set-based: a batch is claimed in one statement, read in a few (invitations, accounts, meetings),
    each distinct text rendered once, queued with multi-row INSERT … ON CONFLICT DO NOTHING on the
    outbox's idempotency key and marked in one UPDATE per outcome, all in the tick's transaction: a
    scheduler that dies mid-batch leaves nothing behind (its locks go with its connection), and the
    next tick, on any instance, claims the batch again.

    On PostgreSQL the batch is handled per group of alike reminders (`_send_due_grouped`, nothing
    in Python per reminder); elsewhere per reminder (`_send_due_rows`). Same rules, texts and rows.
    """
    limit = SEND_BATCH if limit is None else limit
    if session.get_bind().dialect.name == "postgresql":
        return await _send_due_grouped(session, context.now, context.tz, limit)
    return await _send_due_rows(session, context.now, context.tz, limit)


async def _send_due_rows(session: AsyncSession, now: dt.datetime, tz: ZoneInfo, limit: int) -> int:
    """`send_due_reminders` a reminder at a time (SQLite; PostgreSQL too, but slower there)."""
    claimed, chats = await _claim(session, now, limit)
    if not claimed:
        return 0
    meetings = await _meetings(session, {due.meeting_id for due in claimed})
    # Several due at once for one member (after downtime): only the latest is sent; a reminder
    # replaces a nudge too (it carries the answer buttons when the member has not answered).
    latest = await _latest_due(session, sorted({due.invitation_id for due in claimed}), now)
    dropped: dict[str, list[int]] = defaultdict(list)
    deferred: dict[dt.datetime, list[int]] = defaultdict(list)
    to_send: list[_Due] = []
    for due in claimed:
        superseded = due.invitation_id in latest and latest[due.invitation_id] > (due.due_at, RANK[due.kind])
        meeting = meetings.get(due.meeting_id)
        reason = _drop_reason(due, meeting, now, superseded=superseded, linked=due.member_id in chats)
        if reason is not None:
            dropped[reason].append(due.reminder_id)
        elif meeting is not None and meeting.settings.quiet.contains(now, tz):
            # Caught up after downtime in the middle of the night: wait for morning if that still helps.
            morning = meeting.settings.quiet.place(now, deadline=meeting.starts_at - MIN_LEAD, tz=tz)
            if morning is None:
                dropped["quiet_hours"].append(due.reminder_id)
            else:
                deferred[morning].append(due.reminder_id)
        else:
            to_send.append(due)
    documents = await _document_counts(session, sorted({due.meeting_id for due in to_send if due.kind == ReminderKind.EVE}))
    await enqueue_batch(session, _messages(to_send, meetings, documents, now=now, tz=tz), not_before=now, chats=chats)
    await _set(session, [due.reminder_id for due in to_send], state=ReminderState.SENT, sent_at=now)
    for reason, ids in dropped.items():
        await _set(session, ids, state=ReminderState.DROPPED, reason=reason)
    for morning, ids in deferred.items():
        await _set(session, ids, due_at=morning)
    # One observation per reminder (the histogram counts reminders), the lag computed once per due time.
    lags: dict[dt.datetime, float] = {}
    for due in to_send:
        lag = lags.get(due.due_at)
        if lag is None:
            lag = lags[due.due_at] = max(0.0, (now - due.due_at).total_seconds())
        metrics.REMINDER_LAG.observe(lag)
    return len(to_send)


# PostgreSQL: the batch claimed (the same scan and lock as `claim_query`) and grouped in one statement.
# A group is the reminders of one meeting and kind, due and planned at the same moments, whose
# members answered alike and are alike superseded and linked (`_drop_reason`'s inputs): the rules
# run once per group, and each reminder is only an element of the group's arrays (ids, invitations,
# members, the account `ROUTE_SQL` chose), which go back into the outbox INSERT and the UPDATEs as
# array parameters: no Python per reminder.
def _rank_sql(alias: str) -> str:
    return f"CASE {alias}.kind " + " ".join(f"WHEN '{kind.value}' THEN {rank}" for kind, rank in RANK.items()) + " END"


_CLAIM_GROUPED = text(
    "WITH claimed AS ("
    " SELECT id, kind, due_at, planned_for, meeting_id, invitation_id FROM meeting_reminders"
    " WHERE state = :pending AND due_at <= :now ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED) "
    "SELECT c.meeting_id, c.kind, c.due_at, c.planned_for, i.answer, i.id IS NOT NULL AS invited, "
    # Superseded: a later reminder (an eve or before) of the same invitation is due too (see `_latest_due`).
    " EXISTS (SELECT 1 FROM meeting_reminders l WHERE l.invitation_id = c.invitation_id AND l.state = :pending"
    "  AND l.due_at <= :now AND l.kind IN (:eve, :before)"
    f"  AND (l.due_at > c.due_at OR (l.due_at = c.due_at AND {_rank_sql('l')} > {_rank_sql('c')}))) AS superseded, "
    " link.chat_id IS NOT NULL AS linked, "
    " array_agg(c.id), array_agg(c.invitation_id), array_agg(i.member_id), array_agg(link.platform), array_agg(link.chat_id) "
    "FROM claimed c LEFT JOIN meeting_invitations i ON i.id = c.invitation_id "
    f"LEFT JOIN LATERAL ({ROUTE_SQL.format(member='i.member_id')}) AS link ON true "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
).bindparams(bindparam("now", type_=DateTime))
_NO_JIT = text("SET LOCAL jit = off")  # for the rest of this transaction (the tick job's) only


async def _send_due_grouped(session: AsyncSession, now: dt.datetime, tz: ZoneInfo, limit: int) -> int:
    """`send_due_reminders` on PostgreSQL: the same rules and texts, per group (`_CLAIM_GROUPED`)."""
    connection = await session.connection()
    # The planner prices the claim's LIMIT inside the CTE as the whole range, far above jit_above_cost:
    # compiling it took 1.4 s of a 2.1 s statement at 1M invitations. Nothing here runs long enough to gain.
    await connection.execute(_NO_JIT)
    groups = (await connection.execute(_CLAIM_GROUPED, {
        "now": now.astimezone(dt.timezone.utc).replace(tzinfo=None), "limit": limit, "pending": ReminderState.PENDING.value,
        "eve": ReminderKind.EVE.value, "before": ReminderKind.BEFORE.value,
    })).all()
    if not groups:
        return 0
    meetings = await _meetings(session, {group[0] for group in groups})
    utc, kinds, answers = dt.timezone.utc, {k.value: k for k in ReminderKind}, {a.value: a for a in Answer}
    dropped: dict[str, list[int]] = defaultdict(list)
    deferred: dict[dt.datetime, list[int]] = defaultdict(list)
    sending: list[tuple[_Due, Sequence[Any]]] = []  # a representative reminder and the group's arrays
    for meeting_id, kind, due_at, planned_for, answer, invited, superseded, linked, *arrays in groups:
        ids = arrays[0]
        if not invited:  # an invitation deletes its reminders (ON DELETE CASCADE): only a stray row
            dropped["invitation_gone"].extend(ids)
            continue
        due = _Due(0, kinds[kind], due_at.replace(tzinfo=utc), planned_for.replace(tzinfo=utc), meeting_id, 0, 0, answers[answer])
        meeting = meetings.get(meeting_id)
        reason = _drop_reason(due, meeting, now, superseded=superseded, linked=linked)
        if reason is not None:
            dropped[reason].extend(ids)
        elif meeting is not None and meeting.settings.quiet.contains(now, tz):
            morning = meeting.settings.quiet.place(now, deadline=meeting.starts_at - MIN_LEAD, tz=tz)
            if morning is None:
                dropped["quiet_hours"].extend(ids)
            else:
                deferred[morning].extend(ids)
        else:
            sending.append((due, arrays))
    documents = await _document_counts(session, sorted({due.meeting_id for due, _ in sending if due.kind == ReminderKind.EVE}))
    variants: dict[tuple[int, ReminderKind, Answer], int] = {}
    messages: list[tuple[str, str, OutboundMessage]] = []
    sent_ids: list[int] = []
    member_ids: list[int] = []
    platforms: list[str] = []
    chat_ids: list[str] = []
    variant_of: list[int] = []
    fills: list[int] = []
    for due, (ids, invitation_ids, members, group_platforms, group_chats) in sending:
        meeting = meetings[due.meeting_id]
        key = _variant(meeting.id, due.kind, due.answer)
        number = variants.get(key)
        if number is None:
            number = variants[key] = len(messages)
            messages.append(_variant_message(key, meeting, documents, now=now, tz=tz))
        sent_ids.extend(ids)
        member_ids.extend(members)
        platforms.extend(group_platforms)
        chat_ids.extend(group_chats)
        fills.extend(invitation_ids)
        variant_of.extend([number] * len(ids))
    await enqueue_rows(
        connection, kind=OUTBOX_KIND, priority=PRIORITY, variants=messages, member_ids=member_ids, platforms=platforms,
        chat_ids=chat_ids, variant_of=variant_of, fills=fills, not_before=now,
    )
    await _set(session, sent_ids, state=ReminderState.SENT, sent_at=now)
    for reason, ids in dropped.items():
        await _set(session, ids, state=ReminderState.DROPPED, reason=reason)
    for morning, ids in deferred.items():
        await _set(session, ids, due_at=morning)
    for due, group in sending:  # one observation per reminder (the histogram counts reminders), at once per group
        metrics.observe_many(metrics.REMINDER_LAG, max(0.0, (now - due.due_at).total_seconds()), len(group[0]))
    return len(sent_ids)


def _variant(meeting_id: int, kind: ReminderKind, answer: Answer) -> tuple[int, ReminderKind, Answer]:
    """Which text a reminder gets: one per (meeting, kind, answer), the answers that change no words as one."""
    return meeting_id, kind, answer if answer in (Answer.NONE, Answer.ABSENCE_REQUESTED) else Answer.ATTENDING


def _variant_message(
    variant: tuple[int, ReminderKind, Answer], meeting: _Meeting, documents: dict[int, int], *, now: dt.datetime, tz: ZoneInfo,
) -> tuple[str, str, OutboundMessage]:
    """(source, key suffix, message) of a variant for `enqueue_rows`; a member who has not answered
    gets the two answer buttons, their invitation id filled in per row (`FILL`)."""
    _, kind, answer = variant
    text_ = render_text(kind, meeting, answer=answer, now=now, tz=tz, documents=documents.get(meeting.id, 0))
    message = OutboundMessage(text=text_)
    if answer == Answer.NONE:
        message = OutboundMessage(text=text_, buttons=render.answer_buttons(FILL))
    return source_of(meeting.id), f"{kind.value}:{meeting.starts_at.isoformat()}", message


def _messages(
    to_send: Sequence[_Due], meetings: dict[int, _Meeting], documents: dict[int, int], *, now: dt.datetime, tz: ZoneInfo,
) -> list[Queued]:
    """One outbox item per reminder. One text per (meeting, kind, answer): the same words for
    everyone, rendered once; only the answer buttons (for who has not answered) differ per member."""
    rendered: dict[tuple[int, ReminderKind, Answer], OutboundMessage] = {}
    keys: dict[tuple[int, ReminderKind], tuple[str, str]] = {}  # (source, key suffix) by meeting and kind
    queued: list[Queued] = []
    for due in to_send:
        meeting = meetings[due.meeting_id]
        variant = _variant(meeting.id, due.kind, due.answer)
        message = rendered.get(variant)
        if message is None:
            message = rendered[variant] = OutboundMessage(
                text=render_text(due.kind, meeting, answer=variant[2], now=now, tz=tz, documents=documents.get(meeting.id, 0))
            )
        if due.answer == Answer.NONE:  # not answered yet: the reminder carries the two answer buttons
            message = OutboundMessage(text=message.text, buttons=render.answer_buttons(due.invitation_id))
        source, suffix = keys.get(variant[:2]) or keys.setdefault(
            variant[:2], (source_of(meeting.id), f"{due.kind.value}:{meeting.starts_at.isoformat()}")
        )
        queued.append(Queued(member_id=due.member_id, kind=OUTBOX_KIND, source=source, priority=PRIORITY, key_suffix=suffix, message=message))
    return queued


async def _set(session: AsyncSession, ids: list[int], **values: Any) -> None:
    """One UPDATE per outcome (one array parameter on PostgreSQL; IN lists of 5,000 on SQLite)."""
    chunk = max(1, len(ids)) if session.get_bind().dialect.name == "postgresql" else 5000
    for start in range(0, len(ids), chunk):
        await session.execute(
            update(MeetingReminder).where(among(session, MeetingReminder.id, ids[start : start + chunk]))
            .values(**values).execution_options(synchronize_session=False)
        )


# ---------------------------------------------------------------- housekeeping


async def prune_reminders(session: AsyncSession, context: TickContext) -> int:
    """Tick job: forget reminders (and plans) of meetings long past; the outbox keeps what was sent."""
    cutoff = context.now - RETENTION
    old = (
        select(MeetingReminder.id)
        .where(MeetingReminder.state.in_([ReminderState.SENT, ReminderState.DROPPED]), MeetingReminder.due_at < cutoff)
        .limit(PRUNE_BATCH)
        .scalar_subquery()
    )
    result = await session.execute(delete(MeetingReminder).where(MeetingReminder.id.in_(old)).execution_options(synchronize_session=False))
    plans = await session.execute(delete(ReminderPlan).where(ReminderPlan.planned_for < cutoff).execution_options(synchronize_session=False))
    return rows_affected(result) + rows_affected(plans)

"""The hook for study-deadline reminders (resolution study campaigns): the same rules as meeting
reminders — per-cell settings, quiet hours, catch-up after downtime, stale ones skipped.

The study domain keeps its own "sent" table (e.g. `StudyReminder`, unique per campaign, member
and kind) and its own tick job, registered in `core.ticks.tick_jobs`; each tick it asks

    kind = due_study_reminder(deadline, now=context.now, tz=context.tz, settings=effective_settings(...)[cell_id],
                              already_sent=kinds_sent_for_this_member_or_campaign)

and, when `kind` is not None, records (campaign, member, kind) and enqueues the message in the
outbox under a key that includes the kind, so two instances can never send it twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

from core.scheduling.settings import ReminderSettings

# A reminder that would arrive this close to the deadline is no longer worth sending.
MIN_LEAD = dt.timedelta(hours=1)


def kind_for(days_before: int) -> str:
    """"d3" for three days before: the name a study reminder is recorded and keyed under."""
    return f"d{days_before}"


def study_reminder_times(deadline: dt.datetime, *, settings: ReminderSettings, tz: ZoneInfo) -> dict[str, dt.datetime | None]:
    """Kind → when it is due (at `study_time`, N local days before the deadline's day, out of quiet
    hours), or None when no useful moment exists."""
    deadline_day = deadline.astimezone(tz).date()
    times: dict[str, dt.datetime | None] = {}
    for days in settings.study_days_before:
        moment = dt.datetime.combine(deadline_day - dt.timedelta(days=days), settings.study_time, tzinfo=tz)
        times[kind_for(days)] = settings.quiet.place(moment.astimezone(dt.timezone.utc), deadline=deadline - MIN_LEAD, tz=tz)
    return times


def due_study_reminder(
    deadline: dt.datetime, *, now: dt.datetime, tz: ZoneInfo, settings: ReminderSettings, already_sent: Collection[str] = ()
) -> str | None:
    """The one study reminder to send now, or None.

    After downtime only the latest reminder already due is sent (an earlier one it replaces is
    skipped); nothing is sent in quiet hours, once the deadline is near, or when switched off.
    """
    if not settings.enabled or now >= deadline - MIN_LEAD or settings.quiet.contains(now, tz):
        return None
    passed = [(moment, kind) for kind, moment in study_reminder_times(deadline, settings=settings, tz=tz).items() if moment is not None and moment <= now]
    if not passed:
        return None
    _, latest = max(passed)
    return None if latest in already_sent else latest

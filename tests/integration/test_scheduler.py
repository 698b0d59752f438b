import asyncio
import datetime as dt

from sqlalchemy import select

from core.orgs.models import ProcessedUpdate
from core import ticks
from sotay.scheduler import run_scheduler, run_tick


async def test_tick_prunes_old_update_ids(runtime, session, clock) -> None:
    session.add_all([
        ProcessedUpdate(bot_id=42, update_id=1, processed_at=clock.now() - dt.timedelta(days=3)),
        ProcessedUpdate(bot_id=42, update_id=2, processed_at=clock.now() - dt.timedelta(hours=1)),
    ])
    await session.commit()
    done = await run_tick(runtime)
    assert done["prune_processed_updates"] == 1
    assert [u for u in (await session.execute(select(ProcessedUpdate.update_id))).scalars()] == [2]


async def test_a_failing_job_does_not_stop_the_others(runtime, monkeypatch) -> None:
    calls = []

    async def broken(session, context):
        raise RuntimeError("boom")

    async def fine(session, context):
        calls.append(context.now)
        return 1

    monkeypatch.setattr("sotay.scheduler.tick_jobs", lambda: [("broken", broken), ("fine", fine)])
    assert await run_tick(runtime) == {"fine": 1}
    assert calls == [runtime.clock.now()]


async def test_scheduler_ticks_until_stopped(runtime, monkeypatch) -> None:
    ticked = asyncio.Event()

    async def job(session, context):
        ticked.set()
        return 0

    monkeypatch.setattr("sotay.scheduler.tick_jobs", lambda: [("probe", job)])
    monkeypatch.setattr(runtime.settings, "tick_seconds", 3600.0)
    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(runtime, stop))
    # The first tick runs at start, not after a period (an hour here; 60 s is only a safety net for a busy machine).
    await asyncio.wait_for(ticked.wait(), 60)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert ticks.tick_jobs()  # the real registry is untouched


async def test_a_batched_job_runs_again_while_it_finds_work_and_the_others_once(runtime, monkeypatch) -> None:
    batches = iter([3, 3, 1, 0, 9])
    calls = {"send_due_reminders": 0, "plan_reminders": 0}

    async def batched(session, context):
        calls["send_due_reminders"] += 1
        return next(batches)

    async def once(session, context):
        calls["plan_reminders"] += 1
        return 5

    monkeypatch.setattr("sotay.scheduler.tick_jobs", lambda: [("plan_reminders", once), ("send_due_reminders", batched)])
    monkeypatch.setattr(runtime.settings, "tick_seconds", 3600.0)  # only the empty batch ends the drain, never the clock
    assert await run_tick(runtime) == {"plan_reminders": 5, "send_due_reminders": 7}
    assert calls == {"send_due_reminders": 4, "plan_reminders": 1}  # stopped at the empty batch

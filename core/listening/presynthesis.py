"""Queue a subject's synthetic readings for the background (core.recordings.presynthesis makes them).

A leaf, so that whatever publishes or changes a text (documents, notices, conclusions) can queue
it in its own transaction without importing the recordings workflow.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import insert_for
from core.listening.models import VoicePresynthesis


async def queue(session: AsyncSession, *, kind: str, subject_id: int, now: dt.datetime) -> None:
    """Due now; queued again (a changed text) it starts over, and a worker still rendering the old
    text will not mark it done."""
    insert = insert_for(session, VoicePresynthesis)
    statement = insert.on_conflict_do_update(
        index_elements=["subject_kind", "subject_id"],
        set_={"queued_at": insert.excluded.queued_at, "generation": VoicePresynthesis.generation + 1, "claimed_until": None,
              "attempts": 0, "done_at": None},
    )
    await session.execute(statement, [{"subject_kind": kind, "subject_id": subject_id, "queued_at": now, "generation": 0, "attempts": 0}])

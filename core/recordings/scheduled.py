"""The once-only reminder to record a published document that has listeners and no recording.

Due: published between the tick's `recording_reminder_window` and `recording_reminder_delay` ago
(settings SOTAY_RECORDING_REMINDER_WINDOW_DAYS, 7, and SOTAY_RECORDING_REMINDER_MINUTES, 30: older
documents, e.g. at the first deployment, are not worth a reminder), no recording in any language, at least one listener, no
`RecordingReminder` row. The row (primary key: the document) is written with the outbox message in
the tick's transaction, so two instances or a restart never remind twice.
"""

from __future__ import annotations

import datetime as dt
import html

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.delivery.outbox import enqueue
from core.ports import OutboundMessage
from core.listening.models import Recording, RecordingReminder, SubjectKind
from core.recordings.service import listeners_query, record_button
from core.resolutions.models import Document, DocumentState
from core.orgs.models import Org
from core.tick_context import TickContext

# The defaults (core.tick_context.TickContext): long enough for a secretary who records right after
# publishing not to be reminded; a week, past which a reminder is no longer worth it.
REMINDER_DELAY: dt.timedelta = TickContext.recording_reminder_delay
REMINDER_WINDOW: dt.timedelta = TickContext.recording_reminder_window
BATCH = 100


async def remind_to_record(session: AsyncSession, context: TickContext) -> int:
    recorded = exists().where(Recording.subject_kind == SubjectKind.DOCUMENT, Recording.subject_id == Document.id)
    reminded = exists().where(RecordingReminder.document_id == Document.id)
    due = (
        await session.execute(
            select(Document).where(
                Document.state == DocumentState.PUBLISHED, Document.published_by_id.is_not(None),
                Document.published_at <= context.now - context.recording_reminder_delay,
                Document.published_at > context.now - context.recording_reminder_window,
                ~recorded, ~reminded,
            ).order_by(Document.published_at).limit(BATCH)
        )
    ).scalars().all()
    sent = 0
    for document in due:
        org = await session.get(Org, document.org_id)
        if org is None or document.published_by_id is None:
            continue
        listeners = int(await session.scalar(select(func.count()).select_from(listeners_query(document, org).subquery())) or 0)
        if listeners == 0:
            continue
        # The row first: on a race the second instance's insert fails its savepoint and sends nothing.
        try:
            async with session.begin_nested():
                session.add(RecordingReminder(document_id=document.id, member_id=document.published_by_id, sent_at=context.now))
        except IntegrityError:  # another instance reminded at the same moment (primary key)
            continue
        from core.resolutions.render import kind_word

        code = f" {html.escape(document.code)}" if document.code else ""
        message = OutboundMessage(
            text=texts.recordings.REMINDER.format(kind=kind_word(document), code=code, title=html.escape(document.title), listeners=listeners),
            buttons=((record_button(document.id),),),
        )
        if await enqueue(session, member_id=document.published_by_id, kind="recording_reminder", source=f"document:{document.id}",
                         message=message, not_before=context.now):
            sent += 1
    return sent

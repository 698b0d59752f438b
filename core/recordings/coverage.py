"""Which documents, notices and meeting conclusions have a person's reading, in which languages: the
web console's list (/console/recordings), for whoever manages organisations. Only what they manage
(their subtrees) and their own drafts; the newest first, a bounded number of each kind."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.meetings.models import Meeting
from core.meetings.render import title as meeting_title
from core.meetings.render import when as meeting_when
from core.notices.models import Notice, NoticeStatus
from core.orgs.models import Org
from core.orgs.service import Actor, in_any_subtree
from core.recordings.models import Recording, SubjectKind
from core.resolutions.models import Document, DocumentState

PER_KIND = 30


@dataclass(frozen=True)
class Covered:
    kind: str  # SubjectKind
    subject_id: int
    title: str  # plain text
    org_name: str
    at: dt.datetime  # published, sent
    languages: tuple[str, ...]  # codes with a recording, in no particular order
    draft: bool = False


async def coverage(session: AsyncSession, *, actor: Actor, per_kind: int = PER_KIND) -> list[Covered]:
    """Documents, then notices, then conclusions, each newest first, with the languages recorded."""
    reach = in_any_subtree(org.path for org in actor.managed_orgs)
    documents = (await session.execute(
        select(Document, Org.name).join(Org, Org.id == Document.org_id)
        .where(or_(and_(Document.state == DocumentState.PUBLISHED, reach),
                   and_(Document.state == DocumentState.DRAFT, Document.created_by_id == actor.member.id)))
        .order_by(Document.updated_at.desc(), Document.id.desc()).limit(per_kind)
    )).all()
    notices = (await session.execute(
        select(Notice, Org.name).join(Org, Org.id == Notice.org_id)
        .where(reach, Notice.status != NoticeStatus.CANCELLED, Notice.text != "")
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(per_kind)
    )).all()
    meetings = (await session.execute(
        select(Meeting, Org.name).join(Org, Org.id == Meeting.cell_id)
        .where(reach, Meeting.conclusions_sent_at.is_not(None))
        .order_by(Meeting.conclusions_sent_at.desc(), Meeting.id.desc()).limit(per_kind)
    )).all()
    rows = [
        *(Covered(SubjectKind.DOCUMENT, d.id, " ".join(p for p in (d.code, d.title) if p), name, d.published_at or d.updated_at, (),
                  draft=d.state == DocumentState.DRAFT) for d, name in documents),
        *(Covered(SubjectKind.NOTICE, n.id, _excerpt(n.text), name, n.created_at, ()) for n, name in notices),
        *(Covered(SubjectKind.CONCLUSIONS, m.id, f"{meeting_title(m)} — {meeting_when(m)}", name, m.conclusions_sent_at or m.updated_at, ())
          for m, name in meetings),
    ]
    recorded = await _languages(session, [(row.kind, row.subject_id) for row in rows])
    return [Covered(r.kind, r.subject_id, r.title, r.org_name, r.at, tuple(sorted(recorded.get((r.kind, r.subject_id), ()))), r.draft)
            for r in rows]


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


async def _languages(session: AsyncSession, subjects: list[tuple[str, int]]) -> dict[tuple[str, int], set[str]]:
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    if not subjects:
        return found
    rows = await session.execute(
        select(Recording.subject_kind, Recording.subject_id, Recording.language)
        .where(tuple_(Recording.subject_kind, Recording.subject_id).in_(subjects))
    )
    for kind, subject_id, language in rows:
        found[(kind, subject_id)].add(language)
    return found

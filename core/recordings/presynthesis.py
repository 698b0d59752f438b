"""Readings made before anyone taps «🔊»: when a document, a notice or a meeting's conclusions is
published (or its text changes), `core.listening.presynthesis.queue` writes a row in the same
transaction; this worker (role "worker" of `sotay run`) renders, into the shared audio cache, each
(voice, speed) that its listeners chose and that no person's recording serves. A tap then finds
the voice note cached and sends it at once.

Durable: the row is claimed with a lease and marked done only after every variant is cached, and
only if the subject was not queued again meanwhile (a changed text). A restart, or a crash half
way, leaves it due: the next claim renders what is missing, the variants already cached cost a
file read. Bounded: one subject and one variant at a time per process, encoded on the renderer's
one-thread background pool, so taps keep a core (voice.service.VoiceRenderer).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import metrics
from core.clock import Clock
from core.db import rows_affected, transaction
from core.listening import presynthesis
from core.listening.choice import choose, recordings_of_subject
from core.listening.models import SubjectKind, VoicePresynthesis
from core.meetings.models import Attendance, Meeting
from core.notices.models import Notice, NoticeRecipient, NoticeStatus
from core.orgs.models import Member, Org, SpeechSpeed
from core.recordings import subjects
from core.recordings.service import listeners_query
from core.resolutions.models import Document, DocumentState
from core.resolutions.service import normalize_voice
from voice.engines import SpeechError
from voice.service import VoiceRenderer

log = logging.getLogger(__name__)
Variant = tuple[str, str]
LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 3
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Plan:
    """What to render for a subject: its text and the variants its listeners need."""

    text: str
    variants: tuple[Variant, ...]


@dataclass
class PresynthesisStats:
    claimed: int = 0
    done: int = 0
    variants: int = 0  # renders asked for (a cached one costs a file read)
    failed: int = 0
    seconds: float = 0.0


async def _variants(session: AsyncSession, listeners: Select, *, kind: str, subject_id: int) -> tuple[Variant, ...]:  # type: ignore[type-arg]
    """The (voice, speed) of listeners whom no person's recording serves (core.listening.choice.choose)."""
    ids = listeners.subquery()
    rows = await session.execute(
        select(Member.voice_name, Member.speech_speed, Member.listen_language).where(Member.id.in_(select(ids.c.id))).distinct()
    )
    recorded = await recordings_of_subject(session, kind=kind, subject_id=subject_id)
    return tuple(sorted({(normalize_voice(voice), SpeechSpeed(speed).value) for voice, speed, language in rows
                         if choose(language, recorded) is None}))


async def plan(session: AsyncSession, *, kind: str, subject_id: int) -> Plan | None:
    """The text and variants to render now, or None when there is nothing to say (a draft, a
    stopped notice, conclusions sent by voice, a subject gone)."""
    if kind == SubjectKind.DOCUMENT:
        document = await session.get(Document, subject_id)
        org = await session.get(Org, document.org_id) if document is not None else None
        if document is None or org is None or document.state != DocumentState.PUBLISHED or not document.summary.strip():
            return None
        text, listeners = document.summary, listeners_query(document, org)
    elif kind in subjects.KINDS:
        subject = await subjects.spoken_subject(session, kind=kind, subject_id=subject_id)
        if subject is None:  # conclusions sent by voice are a person's Vietnamese reading: every listener hears it
            return None
        text, listeners = subject.text, subject.listeners
    else:
        return None
    if not text.strip():
        return None
    return Plan(text=text, variants=await _variants(session, listeners, kind=kind, subject_id=subject_id))


RECENT = dt.timedelta(days=7)
RECENT_LIMIT = 20


async def queue_recent(session: AsyncSession, *, member: Member, now: dt.datetime) -> int:
    """A member who changed their voice or speed: what they received in the last week (documents,
    notices, conclusions; the newest `RECENT_LIMIT` of each) is read ahead again, so that their
    next «🔊» finds the new variant made. Returns how many subjects were queued."""
    if not member.voice_enabled:
        return 0
    since = now - RECENT
    org = await session.get(Org, member.org_id)
    found: list[tuple[str, int]] = []
    if org is not None:
        documents = select(Document.id).where(Document.state == DocumentState.PUBLISHED, Document.org_id.in_(org.ancestor_ids),
                                              Document.published_at >= since)
        found += [(SubjectKind.DOCUMENT, i) for i in (await session.scalars(documents.order_by(Document.id.desc()).limit(RECENT_LIMIT)))]
    notices = (select(Notice.id).join(NoticeRecipient, NoticeRecipient.notice_id == Notice.id)
               .where(NoticeRecipient.member_id == member.id, Notice.created_at >= since, Notice.status != NoticeStatus.CANCELLED))
    found += [(SubjectKind.NOTICE, i) for i in (await session.scalars(notices.order_by(Notice.id.desc()).limit(RECENT_LIMIT)))]
    conclusions = (select(Meeting.id).join(Attendance, Attendance.meeting_id == Meeting.id)
                   .where(Attendance.member_id == member.id, Attendance.present.is_(False), Meeting.conclusions_sent_at >= since,
                          Meeting.conclusions_voice_file_id.is_(None)))
    found += [(SubjectKind.CONCLUSIONS, i) for i in (await session.scalars(conclusions.order_by(Meeting.id.desc()).limit(RECENT_LIMIT)))]
    for kind, subject_id in found:
        await presynthesis.queue(session, kind=kind, subject_id=subject_id, now=now)
    return len(found)


@dataclass(frozen=True)
class _Claim:
    kind: str
    subject_id: int
    generation: int


@dataclass
class Presynthesiser:
    session_factory: async_sessionmaker[AsyncSession]
    renderer: VoiceRenderer
    clock: Clock
    lease: dt.timedelta = LEASE
    max_attempts: int = MAX_ATTEMPTS
    poll_seconds: float = POLL_SECONDS
    stats: PresynthesisStats = field(default_factory=PresynthesisStats)

    def _due(self, now: dt.datetime):  # type: ignore[no-untyped-def]
        row = VoicePresynthesis
        return and_(row.done_at.is_(None), row.attempts < self.max_attempts,
                    or_(row.claimed_until.is_(None), row.claimed_until < now))

    async def _claim(self) -> _Claim | None:
        now = self.clock.now()
        async with transaction(self.session_factory) as session:
            candidates = select(VoicePresynthesis).where(self._due(now)).order_by(VoicePresynthesis.queued_at).limit(1)
            if session.get_bind().dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            row = await session.scalar(candidates)
            if row is None:
                return None
            claim = _Claim(row.subject_kind, row.subject_id, row.generation)
            # The due condition again: on SQLite two workers may have read the same row.
            result = await session.execute(
                update(VoicePresynthesis).where(self._mine(claim), self._due(now))
                .values(claimed_until=now + self.lease, attempts=VoicePresynthesis.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            return claim if rows_affected(result) == 1 else None

    @staticmethod
    def _mine(claim: _Claim):  # type: ignore[no-untyped-def]
        row = VoicePresynthesis
        return and_(row.subject_kind == claim.kind, row.subject_id == claim.subject_id, row.generation == claim.generation)

    async def _finish(self, claim: _Claim, *, renew: bool = False) -> None:
        """Done (or, with `renew`, a longer lease), unless it was queued again meanwhile."""
        now = self.clock.now()
        values = {"claimed_until": now + self.lease} if renew else {"done_at": now, "claimed_until": None}
        async with transaction(self.session_factory) as session:
            await session.execute(update(VoicePresynthesis).where(self._mine(claim)).values(**values)
                                  .execution_options(synchronize_session=False))

    async def run_once(self) -> bool:
        """Claims one due subject and renders its variants; False when none was due."""
        claim = await self._claim()
        if claim is None:
            return False
        self.stats.claimed += 1
        started = self.clock.now()
        async with self.session_factory() as session:
            work = await plan(session, kind=claim.kind, subject_id=claim.subject_id) or Plan(text="", variants=())
        for voice, speed in work.variants:
            await self._render(claim, work.text, voice, speed)
            await self._finish(claim, renew=True)
        await self._finish(claim)
        self.stats.done += 1
        metrics.PRESYNTHESIS_DONE.inc()
        self.stats.seconds += (self.clock.now() - started).total_seconds()
        return True

    async def _render(self, claim: _Claim, text: str, voice: str, speed: str) -> None:
        """One variant: made, found cached (a hit touches it, so the cache keeps it), or failed."""
        misses, started = self.renderer.stats.cache_misses, time.perf_counter()
        try:
            await self.renderer.render(text, voice=voice, speed=speed, background=True)
        except (SpeechError, OSError, RuntimeError, ValueError) as exc:  # those members still get it on a tap
            self.stats.failed += 1
            metrics.PRESYNTHESIS_VARIANTS.labels(result="failed").inc()
            log.warning("presynthesis of %s %s (%s/%s) failed: %s", claim.kind, claim.subject_id, voice, speed, type(exc).__name__)
            return
        self.stats.variants += 1
        if self.renderer.stats.cache_misses == misses:
            metrics.PRESYNTHESIS_VARIANTS.labels(result="cached").inc()
            return
        metrics.PRESYNTHESIS_VARIANTS.labels(result="made").inc()
        metrics.PRESYNTHESIS_SECONDS.observe(time.perf_counter() - started)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - a database hiccup: the row stays due, try again shortly
                log.warning("presynthesis failed: %s", type(exc).__name__)
                busy = False
            if not busy:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
                except asyncio.TimeoutError:
                    pass


async def observe_depth(session: AsyncSession, *, max_attempts: int = MAX_ATTEMPTS) -> None:
    """Set the queue gauge from the table itself (every process reports the same truth): subjects
    due (waiting, or under way) and those given up after `max_attempts`."""
    row = VoicePresynthesis
    given_up = row.attempts >= max_attempts
    rows = await session.execute(select(given_up, func.count()).select_from(row).where(row.done_at.is_(None)).group_by(given_up))
    counts = {bool(spent): int(count) for spent, count in rows}
    metrics.PRESYNTHESIS_QUEUE.labels(state="due").set(counts.get(False, 0))
    metrics.PRESYNTHESIS_QUEUE.labels(state="given_up").set(counts.get(True, 0))

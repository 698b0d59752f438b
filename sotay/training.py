"""The training ground of `sotay demo`: a hall of trainees, each on their own (simulated) phone.

A trainee opens the trainer's link (a QR code on the big screen) and gets a practice member of
their own, linked to a simulated Telegram or Zalo person (the trainer picks the messenger the room
practises on), without typing: in the shared practice cell for
the member lessons, or as the secretary of a practice cell of their own for the secretary lessons.
Lessons are data (LESSONS); each is checked against the real database (what the bot did, not what
the page shows). The room (who joined, which lessons the trainer has opened, the steps each trainee
tried) is kept in DATA_DIR/training.json, so a restart does not lose the hall.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import texts
from core.crypto import FieldCipher
from core.db import transaction
from core.feedback.models import FeedbackItem
from core.meetings import dates
from core.meetings import service as meetings
from core.meetings.models import Answer, AbsenceReason, Invitation, Meeting, MeetingKind, MeetingStatus
from core.notices.models import Notice, NoticeStatus
from core.orgs.importer import MemberRow, apply_rows
from core.audit import AuditEvent
from core.orgs.models import ChannelLink, Gender, Org, OrgKind, RoleKind
from core.orgs.service import load_actor, member_by_card
from core.reporting.models import MonthlyReport, ReportState
from core.resolutions.models import Document, DocumentState, DocumentStudy
from sotay import demo_data

log = logging.getLogger(__name__)
TRACKS = ("member", "secretary")
PLATFORMS = ("telegram", "zalo")
FIRST_TRAINEE_USER_ID = 760_001  # simulated Telegram ids of trainees (demo people are 700_001…)
STUCK_AFTER_ATTEMPTS = 3
STUCK_AFTER_SECONDS = 180.0
CHECK_EVERY = 3.0  # seconds between two database checks of one trainee's lesson while they do nothing
CHECKS_AT_ONCE = 3
SAVE_AFTER = 1.0  # seconds: lesson progress is written to training.json at most this late
GUIDE_CARD = "TAP-000"
SAMPLE_CARD = "TAP-001"


@dataclass
class Trainee:
    user_id: int
    member_id: int
    card: str
    name: str
    track: str
    joined_at: float
    cell_id: int
    group: int
    platform: str = "telegram"
    done: dict[str, float] = field(default_factory=dict)  # lesson key → when the check first passed
    attempts: dict[str, int] = field(default_factory=dict)  # lesson key → steps taken without passing
    started: dict[str, float] = field(default_factory=dict)  # lesson key → when it was first shown


# ------------------------------------------------------------------------------- the checks
# Each reads the database only: did the bot record what the lesson asked for?

Check = Callable[[AsyncSession, Trainee, "PracticeCell"], Awaitable[bool]]


@dataclass
class PracticeCell:
    """The shared practice cell and its meetings (ids), found or made once per process."""

    cell_id: int
    rsvp_meeting_id: int
    excuse_meeting_id: int
    held_meeting_id: int


async def _answered(session: AsyncSession, trainee: Trainee, meeting_id: int, answers: tuple[Answer, ...]) -> bool:
    answer = await session.scalar(select(Invitation.answer).where(Invitation.meeting_id == meeting_id,
                                                                  Invitation.member_id == trainee.member_id))
    return answer in answers


async def check_rsvp(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    return await _answered(session, trainee, practice.rsvp_meeting_id, (Answer.ATTENDING,))


async def check_excuse(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    # Asked, with a reason: one of the reason buttons, or «Lý do khác» with words or a voice note.
    row = (await session.execute(select(Invitation.answer, Invitation.reason_kind, Invitation.reason_text, Invitation.reason_voice_file_id)
                                 .where(Invitation.meeting_id == practice.excuse_meeting_id, Invitation.member_id == trainee.member_id))).first()
    asked = (Answer.ABSENCE_REQUESTED, Answer.EXCUSED, Answer.ABSENCE_REFUSED)
    return row is not None and row[0] in asked and (row[1] not in (None, AbsenceReason.OTHER) or bool(row[2] or row[3]))


async def check_study(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    return await session.scalar(select(DocumentStudy.id).where(DocumentStudy.member_id == trainee.member_id).limit(1)) is not None


async def check_conclusions(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    return await session.scalar(select(AuditEvent.id).where(AuditEvent.action == meetings.CONCLUSIONS_SEEN,
                                                            AuditEvent.actor_member_id == trainee.member_id).limit(1)) is not None


async def check_feedback(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    return await session.scalar(select(FeedbackItem.id).where(FeedbackItem.author_id == trainee.member_id).limit(1)) is not None


async def check_create_meeting(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    # Enrolling planned one meeting in their name (the absence to approve waits there): one more is theirs.
    made = await session.scalar(select(func.count(Meeting.id)).where(Meeting.cell_id == trainee.cell_id,
                                                                      Meeting.created_by_id == trainee.member_id))
    return (made or 0) >= 2


async def check_approve_absence(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    return await session.scalar(select(Invitation.id).where(Invitation.decided_by_id == trainee.member_id,
                                                            Invitation.answer == Answer.EXCUSED).limit(1)) is not None


async def check_notice(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    # Sent, and its final report came back to the author (the notice is done).
    return await session.scalar(select(Notice.id).where(Notice.author_member_id == trainee.member_id,
                                                        Notice.status == NoticeStatus.DONE).limit(1)) is not None


async def check_publish(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    return await session.scalar(select(Document.id).where(Document.published_by_id == trainee.member_id,
                                                          Document.state == DocumentState.PUBLISHED).limit(1)) is not None


async def check_monthly_report(session: AsyncSession, trainee: Trainee, practice: PracticeCell) -> bool:
    return await session.scalar(select(MonthlyReport.id).where(MonthlyReport.cell_id == trainee.cell_id,
                                                               MonthlyReport.sent_by_id == trainee.member_id,
                                                               MonthlyReport.state != ReportState.DRAFT).limit(1)) is not None


@dataclass(frozen=True)
class Lesson:
    key: str
    track: str
    check: Check

    @property
    def title(self) -> str:
        return texts.training.LESSONS[self.key][0]

    def task(self, platform: str) -> str:
        """What to do, in the messenger's own words: Zalo has no buttons, its lists are answered by number."""
        return texts.training.lesson_words(self.key, platform)[1]

    def hint(self, platform: str) -> str:
        return texts.training.lesson_words(self.key, platform)[2]


# The lessons, in order, per track: the one place that says what a trainee practises.
LESSONS: dict[str, list[Lesson]] = {
    "member": [
        Lesson("rsvp", "member", check_rsvp),
        Lesson("excuse", "member", check_excuse),
        Lesson("study", "member", check_study),
        Lesson("conclusions", "member", check_conclusions),
        Lesson("feedback", "member", check_feedback),
    ],
    "secretary": [
        Lesson("create_meeting", "secretary", check_create_meeting),
        Lesson("approve_absence", "secretary", check_approve_absence),
        Lesson("notice", "secretary", check_notice),
        Lesson("publish", "secretary", check_publish),
        Lesson("monthly_report", "secretary", check_monthly_report),
    ],
}


# ------------------------------------------------------------------------------- the room


def zalo_id(user_id: int) -> str:
    """A Zalo trainee's simulated Zalo person id (Zalo's ids are strings)."""
    return f"taphuan{user_id}"


class Phones:
    """What the room needs from the simulated phones (the sandbox in `sotay demo`): a Telegram person,
    or a Zalo person (who, as on Zalo, writes to the bot first)."""

    def __init__(self, sandbox: Any, bot_token: str, zalo_token: str | None = None) -> None:
        self.sandbox = sandbox
        self.bot = sandbox.world.bots[bot_token]
        self.zalo_bot = sandbox.zalo.world.bot(zalo_token) if zalo_token else None

    def add(self, user_id: int, name: str, label: str, platform: str = "telegram") -> None:
        if platform == "zalo":
            self.sandbox.zalo.world.add_person(display_name=name, person_id=zalo_id(user_id), label=label)
        else:
            self.sandbox.world.add_user(user_id=user_id, first_name=name, label=label)

    def start(self, user_id: int, platform: str = "telegram") -> None:
        if platform == "zalo":
            chat = self.sandbox.zalo.world.existing_chat(self.zalo_bot, zalo_id(user_id))
            if chat is None or not chat.entries:
                self.sandbox.zalo.people.send_text(self.zalo_bot, zalo_id(user_id), texts.training.ZALO_FIRST_WORDS)
            return
        chat = self.sandbox.world.existing_chat(self.bot, user_id)
        if chat is None or not chat.entries:
            self.sandbox.people.send_text(self.bot, user_id, "/start")

    def remove(self, user_id: int, platform: str = "telegram") -> None:
        if platform == "zalo":
            self.sandbox.zalo.world.people.pop(zalo_id(user_id), None)
            if self.zalo_bot is not None:
                self.sandbox.zalo.world.chats.pop((self.zalo_bot.token, zalo_id(user_id)), None)
            self.sandbox.zalo.world.touch()
            return
        self.sandbox.world.people.pop(user_id, None)
        self.sandbox.world.chats.pop((self.bot.token, user_id), None)
        self.sandbox.world.touch()


class Room:
    def __init__(self, *, session_factory: async_sessionmaker[AsyncSession], cipher: FieldCipher, phones: Phones, folder: Path,
                 key: str, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)) -> None:
        self.session_factory = session_factory
        self.cipher = cipher
        self.phones = phones
        self.path = folder / "training.json"
        self.clock = clock
        self.key = key  # the trainer's page asks for it: a trainee cannot press "reset"
        self.track = "member"  # which track the QR code enrolls
        self.platform = "telegram"  # and on which messenger
        self.unlocked = {track: 1 for track in TRACKS}  # lessons opened by the trainer, per track
        self.group = 1
        self.trainees: dict[int, Trainee] = {}
        self.next_number = 1
        self._practice: PracticeCell | None = None
        self._lock = asyncio.Lock()
        self._checks = asyncio.Semaphore(CHECKS_AT_ONCE)
        self._checked: dict[int, tuple[str, float]] = {}  # user id → (lesson, when last checked)
        self._save_at: asyncio.TimerHandle | None = None
        self._load()

    # -------------------------------------------------------------- persistence

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = json.loads(self.path.read_text())
        self.track = data.get("track", self.track)
        self.platform = data.get("platform", self.platform)
        self.unlocked = data.get("unlocked", self.unlocked)
        self.group = data.get("group", 1)
        self.next_number = data.get("next_number", 1)
        self.trainees = {int(t["user_id"]): Trainee(**t) for t in data.get("trainees", [])}

    def _save(self) -> None:
        self._save_at = None
        # vars(), not asdict(): asdict deep-copies every trainee, and the file is rewritten for the whole hall
        data = {"track": self.track, "platform": self.platform, "unlocked": self.unlocked, "group": self.group,
                "next_number": self.next_number, "trainees": [vars(t) for t in self.trainees.values()]}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False))
        temporary.replace(self.path)

    def _save_soon(self) -> None:
        """A lesson's progress is written within SAVE_AFTER seconds, once for all the phones that moved
        meanwhile: a hall of 300 checking their lessons does not rewrite the room's file 300 times."""
        if self._save_at is None:
            self._save_at = asyncio.get_running_loop().call_later(SAVE_AFTER, self._save)

    def flush(self) -> None:
        """Write what is waiting for `_save_soon` now (the demo is stopping)."""
        if self._save_at is not None:
            self._save_at.cancel()
            self._save()

    def restore_phones(self) -> None:
        """After a restart: the trainees' phones come back (their chats are restored by the sandbox)."""
        for trainee in self.trainees.values():
            self.phones.add(trainee.user_id, trainee.name, _label(trainee.track), trainee.platform)

    # -------------------------------------------------------------- the practice cell

    async def practice(self) -> PracticeCell:
        if self._practice is None:
            async with transaction(self.session_factory) as session:
                self._practice = await _ensure_practice_cell(session, self.cipher, now=self.clock())
        return self._practice

    # -------------------------------------------------------------- joining

    async def join(self, *, track: str | None = None, user_id: int | None = None, platform: str | None = None) -> Trainee:
        """A phone opened the trainer's link: its trainee again (a cookie remembers), or a new one."""
        if user_id is not None and user_id in self.trainees:
            return self.trainees[user_id]
        track = track if track in TRACKS else self.track
        platform = platform if platform in PLATFORMS else self.platform
        async with self._lock:  # numbers and cards are given out one at a time
            number = self.next_number
            self.next_number += 1
            practice = await self.practice()
            # The phone exists before the invitations are queued: the delivery worker may send them at once.
            user_id, name = identity(number=number, group=self.group)
            self.phones.add(user_id, name, _label(track), platform)
            async with transaction(self.session_factory) as session:
                trainee = await _enrol(session, self.cipher, practice, number=number, track=track, group=self.group, now=self.clock(),
                                       platform=platform)
            self.trainees[trainee.user_id] = trainee
            self._save()
        self.phones.start(trainee.user_id, trainee.platform)
        return trainee

    # -------------------------------------------------------------- lessons

    def current(self, trainee: Trainee) -> Lesson | None:
        """The first lesson opened for the trainee's track that they have not done."""
        for lesson in LESSONS[trainee.track][: self.unlocked.get(trainee.track, 1)]:
            if lesson.key not in trainee.done:
                return lesson
        return None

    async def status(self, user_id: int, *, acted: bool = False) -> dict[str, Any]:
        """What the trainee's phone shows: the lesson in one line, checked against the database now."""
        trainee = self.trainees.get(user_id)
        if trainee is None:
            return {"trainee": False}
        lessons = LESSONS[trainee.track]
        lesson = self.current(trainee)
        just_done = None
        if lesson is not None:
            trainee.started.setdefault(lesson.key, time.time())
            passed = await self._check(trainee, lesson, fresh=acted)
            if passed:
                trainee.done[lesson.key] = time.time()
                just_done = lesson
                self._save_soon()
                lesson = self.current(trainee)
                if lesson is not None:
                    trainee.started.setdefault(lesson.key, time.time())
            elif acted:
                trainee.attempts[lesson.key] = trainee.attempts.get(lesson.key, 0) + 1
                self._save_soon()
        body: dict[str, Any] = {"trainee": True, "name": trainee.name, "track": trainee.track, "platform": trainee.platform,
                                "total": len(lessons),
                                "done": [key for key in (x.key for x in lessons) if key in trainee.done]}
        if just_done is not None:
            body["congratulation"] = texts.training.DONE
            body["done_lesson"] = just_done.key
        if lesson is None:
            body["lesson"] = None
            body["line"] = texts.training.ALL_DONE if trainee.done else texts.training.WAITING
            return body
        number = lessons.index(lesson) + 1
        body["lesson"] = {"key": lesson.key, "number": number, "title": texts.training.LESSON_OF.format(
            number=number, total=len(lessons), title=lesson.title), "task": lesson.task(trainee.platform)}
        body["line"] = lesson.task(trainee.platform)
        if trainee.attempts.get(lesson.key, 0) > 0:
            body["hint"] = texts.training.HINT.format(hint=lesson.hint(trainee.platform))
        return body

    async def _check(self, trainee: Trainee, lesson: Lesson, *, fresh: bool) -> bool:
        """The lesson's database check, at most once per CHECK_EVERY seconds per trainee unless they just
        acted, and a few at a time: a hall of phones polling must not starve the bot of connections."""
        now = time.monotonic()
        last = self._checked.get(trainee.user_id)
        if not fresh and last is not None and last[0] == lesson.key and now - last[1] < CHECK_EVERY:
            return False
        async with self._checks:
            async with self.session_factory() as session:
                passed = await lesson.check(session, trainee, await self.practice())
        self._checked[trainee.user_id] = (lesson.key, time.monotonic())
        return passed

    def progress(self) -> dict[str, Any]:
        """The trainer's view: each trainee's lessons, and who is stuck where."""
        now = time.time()
        rows = []
        for trainee in sorted(self.trainees.values(), key=lambda t: t.joined_at):
            lesson = self.current(trainee)
            stuck = lesson is not None and (
                trainee.attempts.get(lesson.key, 0) >= STUCK_AFTER_ATTEMPTS
                or now - trainee.started.get(lesson.key, now) > STUCK_AFTER_SECONDS
            )
            rows.append({"user_id": trainee.user_id, "name": trainee.name, "track": trainee.track, "platform": trainee.platform,
                         "done": list(trainee.done),
                         "current": lesson.key if lesson else None, "stuck": stuck,
                         "attempts": trainee.attempts.get(lesson.key, 0) if lesson else 0})
        lessons = {track: [{"key": x.key, "title": x.title} for x in items] for track, items in LESSONS.items()}
        finished = {x.key: sum(1 for t in self.trainees.values() if x.key in t.done) for items in LESSONS.values() for x in items}
        return {"group": self.group, "track": self.track, "platform": self.platform, "unlocked": self.unlocked, "lessons": lessons, "trainees": rows,
                "finished": finished}

    def open_next(self, track: str) -> int:
        """The trainer sends everyone the next lesson of a track."""
        if track in TRACKS:
            self.unlocked[track] = min(len(LESSONS[track]), self.unlocked.get(track, 1) + 1)
            self._save()
        return self.unlocked.get(track, 1)

    def set_track(self, track: str) -> None:
        if track in TRACKS:
            self.track = track
            self._save()

    def set_platform(self, platform: str) -> None:
        """The messenger the QR code enrolls on next (the phones already in the room keep theirs)."""
        if platform in PLATFORMS:
            self.platform = platform
            self._save()

    async def reset(self) -> int:
        """A new group: this group's phones are unlinked and leave the room; lessons start from one."""
        async with self._lock:
            leaving = list(self.trainees.values())
            async with transaction(self.session_factory) as session:
                for trainee in leaving:
                    for link in (await session.execute(select(ChannelLink).where(ChannelLink.member_id == trainee.member_id))).scalars():
                        await session.delete(link)
            for trainee in leaving:
                self.phones.remove(trainee.user_id, trainee.platform)
            self.trainees.clear()
            self.group += 1
            self.unlocked = {track: 1 for track in TRACKS}
            self._save()
        return self.group


# ------------------------------------------------------------------------------- the data


def _row(*, card: str, name: str, path: list[str], number: int, role: RoleKind | None, citizen_id: str) -> MemberRow:
    return MemberRow(line=2, org_path=path, full_name=name, date_of_birth=dt.date(1970, 1, 1) + dt.timedelta(days=number * 37 % 9000),
                     gender=Gender.FEMALE if number % 2 else Gender.MALE, joined_on=dt.date(2010, 5, 19), official_on=dt.date(2011, 5, 19),
                     card_number=card, citizen_id=citizen_id, phone=None, role=role, exempt=False, committee_of=None)


def _path(cell: str) -> list[str]:
    return [demo_data.PROVINCE, demo_data.COMMUNE, cell]


async def _org(session: AsyncSession, name: str) -> Org:
    return (await session.execute(select(Org).where(Org.name == name, Org.kind == OrgKind.CELL))).scalar_one()


async def _meeting_with(session: AsyncSession, cell_id: int, agenda: str, status: MeetingStatus) -> Meeting | None:
    return (await session.execute(select(Meeting).where(Meeting.cell_id == cell_id, Meeting.agenda == agenda, Meeting.status == status)
                                  .order_by(Meeting.id.desc()).limit(1))).scalar_one_or_none()


async def _ensure_practice_cell(session: AsyncSession, cipher: FieldCipher, *, now: dt.datetime) -> PracticeCell:
    """The shared practice cell: a guide as its secretary, two meetings ahead (answer; ask leave) and
    one held with conclusions. Made through the core services, once."""
    t = texts.training
    # The guide leads the cell; a sample member stayed away from the held meeting, so it has conclusions to send.
    await apply_rows(session, [
        _row(card=GUIDE_CARD, name=t.GUIDE_NAME, path=_path(t.PRACTICE_CELL), number=0, role=RoleKind.SECRETARY, citizen_id="097000000000"),
        _row(card=SAMPLE_CARD, name=t.PRACTICE_MEMBER.format(letter="A"), path=_path(t.PRACTICE_CELL), number=1, role=None,
             citizen_id="097000000001"),
    ], cipher=cipher)
    cell = await _org(session, t.PRACTICE_CELL)
    guide = await load_actor(session, await member_by_card(session, GUIDE_CARD))
    day = dates.local(now).date()

    async def ahead(agenda: str, days: int, hour: int) -> Meeting:
        found = await _meeting_with(session, cell.id, agenda, MeetingStatus.SCHEDULED)
        if found is not None and found.starts_at > now + dt.timedelta(hours=2):
            return found
        created = await meetings.create_meeting(session, actor=guide, cell_id=cell.id, kind=MeetingKind.THEMATIC, allow_overlap=True,
                                                starts_at=dates.to_utc(day + dt.timedelta(days=days), dt.time(hour, 0)),
                                                place=t.PRACTICE_MEETING_PLACE, agenda=agenda, now=now)
        return created.meeting

    rsvp = await ahead(t.PRACTICE_MEETING_AGENDA, 7, 19)
    excuse = await ahead(t.PRACTICE_EXCUSE_AGENDA, 8, 19)
    held = await _meeting_with(session, cell.id, t.PRACTICE_MEETING_AGENDA, MeetingStatus.HELD)
    if held is None:
        starts_at = dates.to_utc(day - dt.timedelta(days=3), dt.time(19, 30))
        created = await meetings.create_meeting(session, actor=guide, cell_id=cell.id, kind=MeetingKind.THEMATIC, allow_overlap=True,
                                                starts_at=starts_at, place=t.PRACTICE_MEETING_PLACE, agenda=t.PRACTICE_MEETING_AGENDA,
                                                now=starts_at - dt.timedelta(days=5))
        held = created.meeting
        await meetings.set_attendance(session, actor=guide, meeting_id=held.id, present_member_ids=[guide.member.id],
                                      now=starts_at + dt.timedelta(hours=2))
        await meetings.send_conclusions(session, actor=guide, meeting_id=held.id, text=t.PRACTICE_CONCLUSIONS,
                                        now=starts_at + dt.timedelta(hours=3))
        from core.delivery.outbox import cancel_pending

        await cancel_pending(session, source=meetings.source_of(held.id))
    return PracticeCell(cell_id=cell.id, rsvp_meeting_id=rsvp.id, excuse_meeting_id=excuse.id, held_meeting_id=held.id)


def _label(track: str) -> str:
    return texts.training.TRAINEE_LABEL.format(track=texts.training.TRACKS[track])


def identity(*, number: int, group: int) -> tuple[int, str]:
    """A trainee's simulated Telegram id and name, from their number in the room."""
    t = texts.training
    return FIRST_TRAINEE_USER_ID + (group - 1) * 10_000 + number, t.TRAINEE_NAME.format(
        name=t.TRAINEE_NAMES[(number - 1) % len(t.TRAINEE_NAMES)], number=number)


async def _enrol(session: AsyncSession, cipher: FieldCipher, practice: PracticeCell, *, number: int, track: str, group: int,
                 now: dt.datetime, platform: str = "telegram") -> Trainee:
    t = texts.training
    user_id, name = identity(number=number, group=group)
    card = f"TAP-{group:02d}-{number:04d}"
    citizen_id = f"099{group % 10}{number:08d}"  # made up, 12 digits, one per trainee
    if track == "member":
        await apply_rows(session, [_row(card=card, name=name, path=_path(t.PRACTICE_CELL), number=number, role=None, citizen_id=citizen_id)],
                         cipher=cipher)
    else:
        cell_name = t.PRACTICE_SECRETARY_CELL.format(number=f"{group}.{number}")
        rows = [_row(card=card, name=name, path=_path(cell_name), number=number, role=RoleKind.SECRETARY, citizen_id=citizen_id)]
        rows += [_row(card=f"{card}-{letter}", name=t.PRACTICE_MEMBER.format(letter=letter), path=_path(cell_name), number=number + i,
                      role=None, citizen_id=f"098{group % 10}{number:06d}{i:02d}") for i, letter in enumerate("AB", start=1)]
        await apply_rows(session, rows, cipher=cipher)
    member = await member_by_card(session, card)
    address = zalo_id(user_id) if platform == "zalo" else str(user_id)
    session.add(ChannelLink(member_id=member.id, platform=platform, platform_user_id=address, chat_id=address, linked_at=now))
    await session.flush()
    cell = await session.get(Org, member.org_id)
    assert cell is not None
    if track == "member":
        invited = [(practice.held_meeting_id, False), (practice.rsvp_meeting_id, True), (practice.excuse_meeting_id, True)]
        if platform == "zalo":  # a typed "1" answers the newest list on Zalo: the first lesson's invitation comes last
            invited[1:] = invited[:0:-1]
        for meeting_id, notify in invited:
            meeting = await session.get(Meeting, meeting_id)
            assert meeting is not None
            await meetings.invite_member(session, meeting=meeting, cell=cell, member_id=member.id, now=now, notify=notify)
    else:
        # A meeting ahead in their own cell, and practice member A asking leave: an absence to approve.
        secretary = await load_actor(session, member)
        created = await meetings.create_meeting(session, actor=secretary, cell_id=cell.id, kind=MeetingKind.THEMATIC, allow_overlap=True,
                                                starts_at=dates.to_utc(dates.local(now).date() + dt.timedelta(days=6), dt.time(19, 0)),
                                                place=t.PRACTICE_MEETING_PLACE, agenda=t.PRACTICE_MEETING_AGENDA, now=now)
        asking = await load_actor(session, await member_by_card(session, f"{card}-A"))
        invitation_id = await meetings.own_invitation_id(session, actor=asking, meeting_id=created.meeting.id)
        await meetings.request_absence(session, actor=asking, invitation_id=invitation_id, reason=AbsenceReason.OTHER,
                                       text=t.PRACTICE_ABSENCE_REASON, now=now)
    return Trainee(user_id=user_id, member_id=member.id, card=card, name=name, track=track, joined_at=time.time(), cell_id=cell.id, group=group,
                   platform=platform)

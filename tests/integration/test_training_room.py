"""The training ground's room (sotay.training): joining makes practice members, and each lesson is
checked against the database — what a core service recorded, not what a page says."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.crypto import FieldCipher
from core.db import transaction
from core.meetings import service as meetings
from core.meetings.models import Invitation
from core.orgs.models import ChannelLink
from core.orgs.service import load_actor, member_by_card
from sotay import demo_data
from sotay.training import LESSONS, Room


class FakePhones:
    def __init__(self) -> None:
        self.people: dict[int, str] = {}
        self.started: list[int] = []

    def add(self, user_id: int, name: str, label: str, platform: str = "telegram") -> None:
        self.people[user_id] = name

    def start(self, user_id: int, platform: str = "telegram") -> None:
        self.started.append(user_id)

    def remove(self, user_id: int, platform: str = "telegram") -> None:
        self.people.pop(user_id, None)


async def _room(session_factory: async_sessionmaker[AsyncSession], cipher: FieldCipher, tmp_path: Path) -> tuple[Room, FakePhones]:
    async with transaction(session_factory) as session:
        await demo_data.seed(session, cipher)
    phones = FakePhones()
    return Room(session_factory=session_factory, cipher=cipher, phones=phones, folder=tmp_path, key="k"), phones  # type: ignore[arg-type]


async def test_a_member_trainee_answers_and_the_database_says_done(session_factory, cipher, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    room, phones = await _room(session_factory, cipher, tmp_path)
    trainee = await room.join(track="member")
    assert phones.started == [trainee.user_id] and trainee.user_id in phones.people
    assert (await room.join(user_id=trainee.user_id)) is trainee  # the same phone again: the same trainee
    status = await room.status(trainee.user_id)
    assert status["lesson"]["key"] == "rsvp" and "Bài 1/5" in status["lesson"]["title"]

    # A step that did not do it: a hint, and the lesson stays.
    status = await room.status(trainee.user_id, acted=True)
    assert status["lesson"]["key"] == "rsvp" and status["hint"].startswith("Gợi ý")

    practice = await room.practice()
    async with transaction(session_factory) as session:
        actor = await load_actor(session, await member_by_card(session, trainee.card))
        invitation = (await session.execute(select(Invitation).where(Invitation.meeting_id == practice.rsvp_meeting_id,
                                                                     Invitation.member_id == trainee.member_id))).scalar_one()
        await meetings.answer_attending(session, actor=actor, invitation_id=invitation.id, now=dt.datetime.now(dt.timezone.utc))
    status = await room.status(trainee.user_id, acted=True)  # the page asks again a moment after the tap
    assert status["congratulation"] and status["done_lesson"] == "rsvp"
    assert status["lesson"] is None  # lesson 2 waits for the trainer
    room.open_next("member")
    assert (await room.status(trainee.user_id))["lesson"]["key"] == "excuse"
    progress = room.progress()
    assert progress["trainees"][0]["done"] == ["rsvp"] and progress["finished"]["rsvp"] == 1

    # The room survives a restart (its file), and a reset unlinks the group's phones.
    again = Room(session_factory=session_factory, cipher=cipher, phones=phones, folder=tmp_path, key="k")  # type: ignore[arg-type]
    assert again.trainees[trainee.user_id].done.keys() == {"rsvp"}
    assert await again.reset() == 2
    async with session_factory() as session:
        assert await session.scalar(select(ChannelLink.id).where(ChannelLink.member_id == trainee.member_id)) is None
    assert trainee.user_id not in phones.people and again.trainees == {}


async def test_a_secretary_trainee_has_a_cell_of_their_own_with_an_absence_to_approve(session_factory, cipher, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    room, _ = await _room(session_factory, cipher, tmp_path)
    first = await room.join(track="secretary")
    second = await room.join(track="secretary")
    assert first.cell_id != second.cell_id
    assert (await room.status(first.user_id))["lesson"]["key"] == LESSONS["secretary"][0].key
    async with transaction(session_factory) as session:
        waiting = (await session.execute(select(Invitation).join(meetings.Meeting, meetings.Meeting.id == Invitation.meeting_id)
                                          .where(meetings.Meeting.cell_id == first.cell_id,
                                                 Invitation.answer == meetings.Answer.ABSENCE_REQUESTED))).scalar_one()
        secretary = await load_actor(session, await member_by_card(session, first.card))
        await meetings.decide_absence(session, actor=secretary, invitation_id=waiting.id, approve=True, now=dt.datetime.now(dt.timezone.utc))
    room.open_next("secretary")
    practice = await room.practice()
    async with session_factory() as session:
        assert await LESSONS["secretary"][1].check(session, first, practice)
        assert not await LESSONS["secretary"][1].check(session, second, practice)
        assert not await LESSONS["secretary"][0].check(session, first, practice)  # the enrolment's meeting is not theirs to count


async def test_lesson_progress_is_written_once_for_many_checks_and_on_flush(session_factory, cipher, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    room, phones = await _room(session_factory, cipher, tmp_path)
    trainee = await room.join(track="member")
    await room.status(trainee.user_id, acted=True)  # a step that did not do it: an attempt, written soon, not now
    assert room.trainees[trainee.user_id].attempts == {"rsvp": 1}
    assert json.loads((tmp_path / "training.json").read_text())["trainees"][0]["attempts"] == {}
    room.flush()  # the demo stops: what waits is written
    saved = json.loads((tmp_path / "training.json").read_text())["trainees"][0]
    assert saved["attempts"] == {"rsvp": 1} and saved["user_id"] == trainee.user_id
    again = Room(session_factory=session_factory, cipher=cipher, phones=phones, folder=tmp_path, key="k")  # type: ignore[arg-type]
    assert again.trainees[trainee.user_id].attempts == {"rsvp": 1}
    room.flush()  # nothing waits: nothing happens

"""Votes (biểu quyết): opening, casting, closing, hand counts, results.

Who may do what:
- open, close, record hand counts: whoever `Actor.leads_cell(cell)` (the cell's secretary or
  deputy, or a committee above it);
- cast: an official member of the cell, active; an exempt member only when marked present at the
  vote's meeting; with `Voters.PRESENT`, only members marked present. Probationary members are
  refused politely (Điều lệ Đảng: no vote), and so is the member a rating vote is about (the cell
  votes on their proposed rating without them; they are not counted among those entitled). Anyone
  else is told the vote does not exist.

Validity and passing use the cell's rule (`Org.settings["votes"]`, default more than 1/2 for both),
copied onto the vote when it opens: valid when more than quorum of the eligible voted, passed when
more than majority of the eligible chose option 0 (Tán thành).

Secret ballots: see core/votes/models.py and docs/votes.md. Nothing here logs or audits a secret
choice, and no row written for a secret ballot carries the member, a time or a sequence.
"""

from __future__ import annotations

import datetime as dt
import html
import random
import secrets
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.crypto import FieldCipher
from core.delivery.outbox import enqueue_many
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.folding import strip_accents
from core.listening import presynthesis
from core.listening.models import SubjectKind
from core.meetings import dates, render
from core.meetings.models import Attendance, Meeting, MeetingStatus
from core.orgs.models import Member, Org, OrgKind
from core.orgs.service import Actor, get_org
from core.ports import Button, OutboundMessage
from core.votes.models import (
    BallotKind,
    OpenBallot,
    Rating,
    ReviewCycle,
    ReviewEntry,
    SecretBallot,
    Vote,
    VoteParticipation,
    Voters,
    VoteStatus,
)

if TYPE_CHECKING:
    from core.tick_context import TickContext

T = texts.votes
MAX_QUESTION_CHARS = 300
MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_OPTION_CHARS = 60
MAX_AHEAD = dt.timedelta(days=30)
RECEIPT_CONTEXT = "secret_ballot"
KIND_BALLOT = "vote_ballot"
KIND_RESULT = "vote_result"
BALLOT_PREFIX = "vtb"
NOTIFY_PRIORITY = 5
DEFAULT_RULE = {"quorum": [1, 2], "majority": [1, 2]}


def source_of(vote_id: int) -> str:
    return f"vote:{vote_id}"


def ballot_data(vote_id: int, option: int) -> str:
    """The data of a ballot button; bot/routers/votes.py reads it back (`BallotButton`)."""
    return f"{BALLOT_PREFIX}:{vote_id}:{option}"


# ---------------------------------------------------------------- the cell's rule


def _fraction(value: object) -> tuple[int, int]:
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        raise InvalidInput(T.BAD_RULE)
    num, den = int(value[0]), int(value[1])
    if den <= 0 or not Fraction(1, 2) <= Fraction(num, den) < 1:
        raise InvalidInput(T.BAD_RULE)
    return num, den


def cell_rule(cell: Org) -> tuple[tuple[int, int], tuple[int, int]]:
    """(quorum, majority) as fractions of the eligible: "more than" each. A cell may be stricter, never looser."""
    stored = (cell.settings or {}).get("votes") or {}
    try:
        return _fraction(stored.get("quorum", DEFAULT_RULE["quorum"])), _fraction(stored.get("majority", DEFAULT_RULE["majority"]))
    except InvalidInput:
        return (1, 2), (1, 2)


async def set_cell_rule(session: AsyncSession, *, actor: Actor, cell_id: int, quorum: tuple[int, int], majority: tuple[int, int],
                        now: dt.datetime) -> Org:
    cell = await get_org(session, cell_id)
    if cell.kind != OrgKind.CELL:
        raise NotFound(texts.common.NOT_FOUND)
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, T.NOT_LEADER)
    rule = {"quorum": list(_fraction(list(quorum))), "majority": list(_fraction(list(majority)))}
    cell.settings = {**(cell.settings or {}), "votes": rule}
    await audit.record(session, "vote.rule", actor_member_id=actor.member.id, org_id=cell.id, target=f"org:{cell.id}", detail=rule, at=now)
    await session.flush()
    return cell


# ---------------------------------------------------------------- who may vote


@dataclass(frozen=True)
class Outcome:
    eligible: int
    voted: int
    counts: list[int]
    valid: bool
    passed: bool


def decide(vote: Vote, *, eligible: int, counts: list[int]) -> Outcome:
    voted = sum(counts)
    valid = eligible > 0 and voted * vote.quorum_den > eligible * vote.quorum_num
    passed = valid and counts[0] * vote.majority_den > eligible * vote.majority_num
    return Outcome(eligible=eligible, voted=voted, counts=list(counts), valid=valid, passed=passed)


async def _present_ids(session: AsyncSession, meeting_id: int | None) -> set[int]:
    if meeting_id is None:
        return set()
    rows = await session.execute(select(Attendance.member_id).where(Attendance.meeting_id == meeting_id, Attendance.present.is_(True)))
    return set(rows.scalars())


async def subject_member_id(session: AsyncSession, vote: Vote) -> int | None:
    """The member a cell's rating vote is about (core.votes.review): they do not vote on their own rating."""
    if not (vote.subject or "").startswith("review:"):
        return None
    entry_id = int((vote.subject or "").split(":", 1)[1])
    found = await session.scalar(select(ReviewEntry.member_id).where(ReviewEntry.id == entry_id))
    return None if found is None else int(found)


async def eligible_ids(session: AsyncSession, vote: Vote) -> list[int]:
    """Active official members of the cell; exempt ones only if present; with PRESENT only those present;
    never the member a rating vote is about (so the quorum and the majority count the others)."""
    present = await _present_ids(session, vote.meeting_id)
    concerned = await subject_member_id(session, vote)
    rows = await session.execute(
        select(Member.id, Member.exempt).where(Member.org_id == vote.cell_id, Member.active, Member.official_on.is_not(None)).order_by(Member.id)
    )
    wanted = []
    for member_id, exempt in rows:
        if (exempt or vote.voters == Voters.PRESENT) and member_id not in present:
            continue
        if member_id == concerned:
            continue
        wanted.append(member_id)
    return wanted


def _refusal_for(member: Member, vote: Vote, present: set[int]) -> str | None:
    if member.is_probationary:
        return T.PROBATIONARY_REFUSED
    if member.exempt and member.id not in present:
        return T.EXEMPT_NOT_PRESENT
    if vote.voters == Voters.PRESENT and member.id not in present:
        return T.NOT_PRESENT
    return None


# ---------------------------------------------------------------- loading


async def _load(session: AsyncSession, vote_id: int, *, for_update: bool = False) -> tuple[Vote, Org]:
    query = select(Vote).where(Vote.id == vote_id)
    if for_update:
        query = query.with_for_update()
    vote = (await session.execute(query)).scalar_one_or_none()
    if vote is None:
        raise NotFound(texts.common.NOT_FOUND)
    return vote, await get_org(session, vote.cell_id)


async def managed_vote(session: AsyncSession, *, actor: Actor, vote_id: int, for_update: bool = False) -> tuple[Vote, Org]:
    vote, cell = await _load(session, vote_id, for_update=for_update)
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, T.NOT_LEADER)
    return vote, cell


async def _meeting(session: AsyncSession, meeting_id: int | None) -> Meeting | None:
    return None if meeting_id is None else await session.get(Meeting, meeting_id)


def _is_closed(vote: Vote, now: dt.datetime) -> bool:
    return vote.status == VoteStatus.CLOSED or (vote.closes_at is not None and now >= vote.closes_at)


# ---------------------------------------------------------------- opening


def _clean_question(question: str) -> str:
    cleaned = " ".join((question or "").split())
    if not cleaned:
        raise InvalidInput(T.QUESTION_EMPTY)
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise InvalidInput(T.QUESTION_TOO_LONG.format(length=len(cleaned), limit=MAX_QUESTION_CHARS))
    return cleaned


def clean_options(options: list[str] | None) -> list[str]:
    """The one rule for a vote's options (the API, the console's form, the bot's defaults): none given,
    the default three; otherwise 2 to 6 non-blank options (spaces tidied, 60 characters at most), no two
    the same when case and accents are set aside (a count split between twins means nothing)."""
    if not options:
        return list(T.DEFAULT_OPTIONS)
    cleaned = [" ".join(o.split())[:MAX_OPTION_CHARS] for o in options if o and o.strip()]
    if len(cleaned) < MIN_OPTIONS:
        raise InvalidInput(T.TOO_FEW_OPTIONS)
    if len(cleaned) > MAX_OPTIONS:
        raise InvalidInput(T.TOO_MANY_OPTIONS.format(limit=MAX_OPTIONS))
    folded = [strip_accents(o).casefold() for o in cleaned]
    twins = next((cleaned[i] for i, f in enumerate(folded) if f in folded[:i]), None)
    if twins is not None:
        raise InvalidInput(T.OPTIONS_DUPLICATE.format(option=html.escape(twins)))
    return cleaned


def _closes_line(vote: Vote) -> str:
    return T.CLOSES_AT.format(when=dates.format_when(vote.closes_at)) if vote.closes_at else T.CLOSES_MANUAL


def _meeting_line(meeting: Meeting | None) -> str:
    return T.MEETING_LINE.format(when=render.when(meeting)) if meeting is not None else ""


def _kind_line(vote: Vote) -> str:
    line = T.KINDS[vote.kind.value]
    return f"{line}\n{T.SECRET_NOTE}" if vote.kind == BallotKind.SECRET else line


def ballot_message(vote: Vote, cell: Org, meeting: Meeting | None, *, chosen: str | None = None) -> OutboundMessage:
    text = T.BALLOT.format(
        cell=render.escape(cell.name), meeting_line=_meeting_line(meeting), question=render.escape(vote.question),
        kind=_kind_line(vote), closes_line=_closes_line(vote),
    ) + (chosen or "")
    icons = T.OPTION_ICONS
    buttons = tuple(
        (Button(f"{icons[i] if i < len(icons) and len(vote.options) == 3 else '▫️'} {option}", ballot_data(vote.id, i)),)
        for i, option in enumerate(vote.options)
    )
    return OutboundMessage(text=text, buttons=buttons)


@dataclass(frozen=True)
class Opened:
    vote: Vote
    cell: Org
    sent: int


async def open_vote(
    session: AsyncSession,
    *,
    actor: Actor,
    cell_id: int,
    question: str,
    now: dt.datetime,
    meeting_id: int | None = None,
    kind: BallotKind = BallotKind.OPEN,
    options: list[str] | None = None,
    voters: Voters = Voters.MEMBERS,
    closes_at: dt.datetime | None = None,
    subject: str | None = None,
    subject_value: str | None = None,
) -> Opened:
    """Open a vote and send each eligible member a ballot (a button per option); a hand vote sends nothing."""
    cell = await get_org(session, cell_id)
    if cell.kind != OrgKind.CELL:
        raise NotFound(texts.common.NOT_FOUND)
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, T.NOT_LEADER)
    meeting = await _meeting(session, meeting_id)
    if meeting_id is not None and (meeting is None or meeting.cell_id != cell.id):
        raise NotFound(T.MEETING_OTHER_CELL)
    if meeting is not None and meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(texts.meetings.MEETING_CANCELLED)
    if voters == Voters.PRESENT and meeting is None:
        raise InvalidInput(T.PRESENT_NEEDS_MEETING)
    if closes_at is not None and (closes_at <= now or closes_at - now > MAX_AHEAD):
        raise InvalidInput(T.CLOSES_IN_PAST)
    (qn, qd), (mn, md) = cell_rule(cell)
    vote = Vote(
        cell_id=cell.id, meeting_id=meeting_id, question=_clean_question(question), options=clean_options(options), kind=kind,
        voters=voters, closes_at=None if kind == BallotKind.HAND else closes_at, quorum_num=qn, quorum_den=qd, majority_num=mn,
        majority_den=md, subject=subject, subject_value=subject_value, opened_by_id=actor.member.id, opened_at=now,
    )
    session.add(vote)
    await session.flush()
    sent = 0
    if kind != BallotKind.HAND:
        voters_ids = await eligible_ids(session, vote)
        result = await enqueue_many(
            session, member_ids=voters_ids, kind=KIND_BALLOT, source=source_of(vote.id), message=ballot_message(vote, cell, meeting),
            priority=NOTIFY_PRIORITY,
        )
        sent = result.queued + result.already_queued
    await audit.record(session, "vote.open", actor_member_id=actor.member.id, org_id=cell.id, target=source_of(vote.id),
                       detail={"kind": kind.value, "meeting": meeting_id}, at=now)
    return Opened(vote=vote, cell=cell, sent=sent)


# ---------------------------------------------------------------- casting


def receipt_of(cipher: FieldCipher, *, vote_id: int, member_id: int) -> str:
    """The voter's keyed receipt: only a request made as this member (with the server's key) finds it."""
    return cipher.lookup_hash(f"{vote_id}:{member_id}", context=RECEIPT_CONTEXT)


@dataclass(frozen=True)
class Cast:
    vote: Vote
    cell: Org
    option: int
    changed: bool  # an earlier choice was replaced
    same: bool  # the same choice again: nothing changed


async def cast(session: AsyncSession, *, actor: Actor, vote_id: int, option: int, cipher: FieldCipher, now: dt.datetime) -> Cast:
    """Record (or change) the member's choice. Refusals change nothing."""
    vote, cell = await _load(session, vote_id, for_update=True)
    member = actor.member
    if member.org_id != cell.id or not member.active:
        raise NotFound(texts.common.NOT_FOUND)  # another cell's member, a forged button: the vote does not exist for them
    if vote.kind == BallotKind.HAND:
        raise Conflict(T.HAND_NO_BALLOTS)
    if _is_closed(vote, now):
        raise Conflict(T.VOTE_CLOSED)
    if not 0 <= option < len(vote.options):
        raise InvalidInput(T.BAD_OPTION)
    refusal = _refusal_for(member, vote, await _present_ids(session, vote.meeting_id))
    if refusal is None and member.id == await subject_member_id(session, vote):
        refusal = T.OWN_RATING_REFUSED
    if refusal is not None:
        raise PermissionDenied(refusal)
    if vote.kind == BallotKind.OPEN:
        ballot = (
            await session.execute(select(OpenBallot).where(OpenBallot.vote_id == vote.id, OpenBallot.member_id == member.id))
        ).scalar_one_or_none()
        if ballot is None:
            session.add(OpenBallot(vote_id=vote.id, member_id=member.id, option=option, cast_at=now))
            await session.flush()
            return Cast(vote=vote, cell=cell, option=option, changed=False, same=False)
        same = ballot.option == option
        ballot.option, ballot.cast_at = option, now
        await session.flush()
        return Cast(vote=vote, cell=cell, option=option, changed=not same, same=same)
    receipt = receipt_of(cipher, vote_id=vote.id, member_id=member.id)
    secret = (await session.execute(select(SecretBallot).where(SecretBallot.receipt == receipt))).scalar_one_or_none()
    if secret is None:
        session.add(VoteParticipation(vote_id=vote.id, member_id=member.id))
        session.add(SecretBallot(id=secrets.token_hex(16), vote_id=vote.id, option=option, receipt=receipt))
        await session.flush()
        return Cast(vote=vote, cell=cell, option=option, changed=False, same=False)
    same = secret.option == option
    secret.option = option
    await session.flush()
    return Cast(vote=vote, cell=cell, option=option, changed=not same, same=same)


async def own_choice(session: AsyncSession, *, member: Member, vote: Vote, cipher: FieldCipher) -> int | None:
    """The member's own current choice (open: from the row; secret: through their receipt, while open)."""
    if vote.kind == BallotKind.OPEN:
        found = await session.scalar(select(OpenBallot.option).where(OpenBallot.vote_id == vote.id, OpenBallot.member_id == member.id))
        return None if found is None else int(found)
    if vote.kind == BallotKind.SECRET:
        found = await session.scalar(select(SecretBallot.option).where(SecretBallot.receipt == receipt_of(cipher, vote_id=vote.id, member_id=member.id)))
        return None if found is None else int(found)
    return None


# ---------------------------------------------------------------- counting and closing


async def voted_count(session: AsyncSession, vote: Vote) -> int:
    if vote.kind == BallotKind.OPEN:
        return int(await session.scalar(select(func.count()).select_from(OpenBallot).where(OpenBallot.vote_id == vote.id)) or 0)
    if vote.kind == BallotKind.SECRET:
        return int(await session.scalar(select(func.count()).select_from(VoteParticipation).where(VoteParticipation.vote_id == vote.id)) or 0)
    return int(vote.voted_count or 0)


async def _tally(session: AsyncSession, vote: Vote, eligible: set[int]) -> list[int]:
    counts = [0] * len(vote.options)
    if vote.kind == BallotKind.OPEN:
        rows = await session.execute(select(OpenBallot.member_id, OpenBallot.option).where(OpenBallot.vote_id == vote.id))
        for member_id, option in rows:
            if member_id in eligible:  # a member moved or marked absent since counts no more
                counts[option] += 1
        return counts
    rows = await session.execute(select(SecretBallot.option).where(SecretBallot.vote_id == vote.id))
    for (option,) in rows:
        counts[option] += 1
    return counts


async def _shuffle_secret(session: AsyncSession, vote: Vote) -> None:
    """Erase every receipt and rewrite the ballots under new random ids in random order: after closing,
    neither a receipt nor the rows' physical order can point back at the order people voted in."""
    options = list((await session.execute(select(SecretBallot.option).where(SecretBallot.vote_id == vote.id))).scalars())
    await session.execute(delete(SecretBallot).where(SecretBallot.vote_id == vote.id))
    random.SystemRandom().shuffle(options)
    session.add_all([SecretBallot(id=secrets.token_hex(16), vote_id=vote.id, option=o, receipt=None) for o in options])
    await session.flush()


def result_text(vote: Vote, cell: Org, meeting: Meeting | None) -> str:
    icons = T.OPTION_ICONS
    counts = vote.counts or [0] * len(vote.options)
    lines = "\n".join(
        T.RESULT_LINE.format(icon=icons[i] if i < len(icons) else "▫️", option=render.escape(o), count=counts[i])
        for i, o in enumerate(vote.options)
    )
    verdict = T.VERDICT_INVALID if not vote.valid else T.VERDICT_PASSED if vote.passed else T.VERDICT_FAILED
    return T.RESULT.format(
        cell=render.escape(cell.name), meeting_line=_meeting_line(meeting), question=render.escape(vote.question),
        kind=T.KINDS[vote.kind.value], eligible=vote.eligible_count or 0, voted=vote.voted_count or 0, lines=lines, verdict=verdict,
    )


def conclusions_line(vote: Vote) -> str:
    counts = vote.counts or []
    verdict = T.CONCLUSIONS_INVALID if not vote.valid else T.CONCLUSIONS_PASSED if vote.passed else T.CONCLUSIONS_FAILED
    return T.CONCLUSIONS_LINE.format(
        question=vote.question, verdict=verdict, counts=", ".join(f"{o} {c}" for o, c in zip(vote.options, counts, strict=False)),
        voted=vote.voted_count or 0, eligible=vote.eligible_count or 0,
    )


async def _absentees(session: AsyncSession, meeting: Meeting | None) -> list[int]:
    if meeting is None or meeting.status != MeetingStatus.HELD:
        return []
    rows = await session.execute(select(Attendance.member_id).where(Attendance.meeting_id == meeting.id, Attendance.present.is_(False)))
    return sorted(rows.scalars())


async def _apply_subject(session: AsyncSession, vote: Vote) -> None:
    """A review vote that passed makes its rating the cell's proposal for that member."""
    if not (vote.subject or "").startswith("review:") or not vote.passed or vote.subject_value is None:
        return
    entry = await session.get(ReviewEntry, int((vote.subject or "").split(":", 1)[1]))
    cycle = await session.get(ReviewCycle, entry.cycle_id) if entry is not None else None
    # When the vote ended: its closing time when it had one (the tick job closes it a little later).
    ended = min(filter(None, (vote.closed_at, vote.closes_at)), default=None)
    late = cycle is not None and ended is not None and ended > cycle.cell_deadline
    if entry is not None and entry.final_rating is None and not late:
        entry.cell_rating = Rating(vote.subject_value)
        entry.cell_vote_id = vote.id


async def _finish(session: AsyncSession, vote: Vote, cell: Org, outcome: Outcome, now: dt.datetime) -> None:
    vote.status = VoteStatus.CLOSED
    vote.closed_at = now
    vote.eligible_count, vote.voted_count, vote.counts = outcome.eligible, outcome.voted, outcome.counts
    vote.valid, vote.passed = outcome.valid, outcome.passed
    vote.revision += 1
    await session.flush()
    await _apply_subject(session, vote)
    meeting = await _meeting(session, vote.meeting_id)
    if meeting is not None:
        line = conclusions_line(vote)
        meeting.conclusions_text = f"{meeting.conclusions_text}\n{line}" if meeting.conclusions_text else line
        meeting.updated_at = now
        if meeting.conclusions_sent_at is not None:  # the «🔊 Nghe» under them now reads a longer text
            await presynthesis.queue(session, kind=SubjectKind.CONCLUSIONS, subject_id=meeting.id, now=now)
    recipients = await _absentees(session, meeting)
    if vote.opened_by_id is not None:
        recipients.append(vote.opened_by_id)
    await enqueue_many(
        session, member_ids=sorted(set(recipients)), kind=KIND_RESULT, source=source_of(vote.id),
        message=OutboundMessage(text=result_text(vote, cell, meeting)), priority=NOTIFY_PRIORITY,
    )
    await session.flush()


async def _close(session: AsyncSession, vote: Vote, cell: Org, now: dt.datetime) -> Outcome:
    eligible = await eligible_ids(session, vote)
    counts = await _tally(session, vote, set(eligible))
    outcome = decide(vote, eligible=len(eligible), counts=counts)
    if vote.kind == BallotKind.SECRET:
        await _shuffle_secret(session, vote)
    await _finish(session, vote, cell, outcome, now)
    return outcome


async def close_vote(session: AsyncSession, *, actor: Actor, vote_id: int, now: dt.datetime) -> Vote:
    vote, cell = await managed_vote(session, actor=actor, vote_id=vote_id, for_update=True)
    if vote.status == VoteStatus.CLOSED:
        raise Conflict(T.ALREADY_CLOSED)
    if vote.kind == BallotKind.HAND:
        raise InvalidInput(T.ASK_HAND_COUNTS)
    await _close(session, vote, cell, now)
    await audit.record(session, "vote.close", actor_member_id=actor.member.id, org_id=cell.id, target=source_of(vote.id), at=now)
    return vote


async def record_hand_counts(session: AsyncSession, *, actor: Actor, vote_id: int, counts: list[int], now: dt.datetime) -> Vote:
    """A vote held in the room by raised hands: the secretary types the counts; the vote closes with them."""
    vote, cell = await managed_vote(session, actor=actor, vote_id=vote_id, for_update=True)
    if vote.status == VoteStatus.CLOSED:
        raise Conflict(T.ALREADY_CLOSED)
    if vote.kind != BallotKind.HAND:
        raise InvalidInput(T.BAD_OPTION)
    if len(counts) != len(vote.options) or any(c < 0 for c in counts):
        raise InvalidInput(T.HAND_COUNTS_INVALID.format(count=len(vote.options)))
    eligible = len(await eligible_ids(session, vote))
    if sum(counts) > eligible:
        raise InvalidInput(T.HAND_COUNTS_TOO_MANY.format(total=sum(counts), eligible=eligible))
    await _finish(session, vote, cell, decide(vote, eligible=eligible, counts=list(counts)), now)
    await audit.record(session, "vote.hand_counts", actor_member_id=actor.member.id, org_id=cell.id, target=source_of(vote.id),
                       detail={"counts": list(counts)}, at=now)
    return vote


async def close_due_votes(session: AsyncSession, context: TickContext) -> int:
    """Tick job: close every open vote whose closing time has passed (each in its own savepoint)."""
    due = list((await session.execute(
        select(Vote.id).where(Vote.status == VoteStatus.OPEN, Vote.closes_at.is_not(None), Vote.closes_at <= context.now).order_by(Vote.id)
    )).scalars())
    closed = 0
    for vote_id in due:
        async with session.begin_nested():
            vote, cell = await _load(session, vote_id, for_update=True)
            if vote.status == VoteStatus.OPEN:
                await _close(session, vote, cell, context.now)
                closed += 1
    return closed


# ---------------------------------------------------------------- what people see


@dataclass(frozen=True)
class VoteCard:
    vote: Vote
    cell: Org
    meeting: Meeting | None
    eligible: int
    voted: int


async def vote_card(session: AsyncSession, *, actor: Actor, vote_id: int) -> VoteCard:
    vote, cell = await managed_vote(session, actor=actor, vote_id=vote_id)
    if vote.status == VoteStatus.CLOSED:
        return VoteCard(vote=vote, cell=cell, meeting=await _meeting(session, vote.meeting_id), eligible=vote.eligible_count or 0,
                        voted=vote.voted_count or 0)
    return VoteCard(vote=vote, cell=cell, meeting=await _meeting(session, vote.meeting_id),
                    eligible=len(await eligible_ids(session, vote)), voted=await voted_count(session, vote))


def card_text(card: VoteCard) -> str:
    if card.vote.status == VoteStatus.CLOSED:
        return result_text(card.vote, card.cell, card.meeting)
    return T.CARD.format(question=render.escape(card.vote.question), kind=_kind_line(card.vote), closes_line=_closes_line(card.vote),
                         voted=card.voted, eligible=card.eligible)


async def open_votes(session: AsyncSession, *, actor: Actor, cell_id: int) -> list[Vote]:
    cell = await get_org(session, cell_id)
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, T.NOT_LEADER)
    query = select(Vote).where(Vote.cell_id == cell.id, Vote.status == VoteStatus.OPEN).order_by(Vote.id.desc()).limit(8)
    return list((await session.execute(query)).scalars())


async def cell_votes(session: AsyncSession, *, actor: Actor, cell_id: int, limit: int = 30) -> list[VoteCard]:
    """A cell's votes for its leaders (the web console): open ones first, then the latest closed."""
    cell = await get_org(session, cell_id)
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, T.NOT_LEADER)
    query = select(Vote.id).where(Vote.cell_id == cell.id).order_by((Vote.status == VoteStatus.OPEN).desc(), Vote.id.desc()).limit(limit)
    return [await vote_card(session, actor=actor, vote_id=vote_id) for vote_id in (await session.execute(query)).scalars()]


async def vote_for_viewer(session: AsyncSession, *, actor: Actor, vote_id: int) -> tuple[Vote, Org]:
    """Leaders see any vote of their cells; a member sees their own cell's votes."""
    vote, cell = await _load(session, vote_id)
    if not (actor.leads_cell(cell) or actor.member.org_id == cell.id):
        raise NotFound(texts.common.NOT_FOUND)
    return vote, cell


async def vote_for_member(session: AsyncSession, *, member: Member, vote_id: int) -> tuple[Vote, Org, Meeting | None]:
    vote, cell = await _load(session, vote_id)
    if member.org_id != cell.id:
        raise NotFound(texts.common.NOT_FOUND)
    return vote, cell, await _meeting(session, vote.meeting_id)


async def meetings_for_vote(session: AsyncSession, *, actor: Actor, cell_id: int, now: dt.datetime) -> list[Meeting]:
    """Meetings a vote may belong to: the cell's meetings from yesterday to two weeks ahead, not cancelled."""
    cell = await get_org(session, cell_id)
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, T.NOT_LEADER)
    query = (
        select(Meeting)
        .where(Meeting.cell_id == cell.id, Meeting.status != MeetingStatus.CANCELLED,
               Meeting.starts_at >= now - dt.timedelta(days=1), Meeting.starts_at <= now + dt.timedelta(days=14))
        .order_by(Meeting.starts_at).limit(4)
    )
    return list((await session.execute(query)).scalars())


async def member_open_votes(session: AsyncSession, *, member: Member, now: dt.datetime) -> list[Vote]:
    """Votes of the member's cell still taking ballots."""
    query = select(Vote).where(Vote.cell_id == member.org_id, Vote.status == VoteStatus.OPEN, Vote.kind != BallotKind.HAND).order_by(Vote.id)
    return [v for v in (await session.execute(query)).scalars() if not _is_closed(v, now)]

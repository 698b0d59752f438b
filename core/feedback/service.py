"""Feedback rules: who may send where, limits, who may read and answer, and the messages that follow.

Reading: the author, and whoever manages the organisation the item was addressed to (so every
committee above it too). Acting (reply, forward, close): whoever manages the item's *current*
organisation — after a forward the responsibility moves up, the lower level keeps reading.
Forwarding goes one level up at a time, so the current organisation is always the addressed one
or one of its ancestors.

Refusals: an item the actor may not read is "not found", exactly like a missing one (ids are
sequential; nobody learns what exists elsewhere). An item they may read but not act on is
"permission denied", with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import texts
from core.clock import local_tz
from core.delivery.outbox import enqueue, enqueue_many
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from core.feedback import render
from core.feedback.views import ForwardView, ItemSummary, ItemView, ReplyView
from core.feedback.models import (
    REFERENCE_PREFIXES,
    FeedbackForward,
    FeedbackItem,
    FeedbackKind,
    FeedbackReply,
    FeedbackState,
)
from core.orgs.models import Member, Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import Actor, in_any_subtree, orgs_by_ids
from core.ports import Attachment, Button, OutboundMessage


MAX_TEXT_CHARS = 4000
# A reply travels with a header to the member; it must fit one Telegram message (4096).
MAX_REPLY_CHARS = 3500
MAX_NOTE_CHARS = 500
# A voice reply's words travel as the voice's caption (Telegram: 1024), after a short header.
MAX_VOICE_CAPTION_CHARS = 800
MAX_VOICE_SECONDS = 5 * 60
MAX_FILE_BYTES = 10 * 1024 * 1024
PER_HOUR = 5
PER_DAY = 20
# Messages closer together than this inside the sending flow are one burst (a long text the
# Telegram app split, an album, a stuck key): a burst gets one answer, not one per message.
# The database holds the same line: no two items from one member this close together, so
# updates handled concurrently (webhook, several processes) cannot split a burst into items.
FLOOD_WINDOW = dt.timedelta(seconds=3)
# A flow left half-way is forgotten after this long without a step (slow typists included).
FLOW_TTL = dt.timedelta(hours=2)

NOTIFY_PRIORITY = 5  # replies and new items go before broadcasts

# Button data the outbox messages carry. The bot's CallbackData factories pack to the same
# strings (a test holds them together); core cannot import aiogram.
ITEM_CALLBACK_PREFIX = "fbi"


def item_button_data(action: str, item_id: int) -> str:
    return f"{ITEM_CALLBACK_PREFIX}:{action}:{item_id}"


# Notices to those who answer carry the member's voice or photo, so they can listen or look at
# once; the words become its caption (1024 characters on Telegram), hence the short excerpt.
NOTICE_EXCERPT_CHARS = 400


def media_of(item: FeedbackItem) -> Attachment | None:
    if item.voice_file_id is not None:
        return Attachment(kind="voice", file_id=item.voice_file_id, duration=item.voice_duration)
    if item.photo_file_id is not None:
        return Attachment(kind="photo", file_id=item.photo_file_id)
    return None


# ---------------------------------------------------------------- input


@dataclass(frozen=True)
class Content:
    """What a member (or an answerer) sent: text, a voice message or a photo (with a caption)."""

    text: str | None = None
    voice_file_id: str | None = None
    voice_duration: int | None = None
    photo_file_id: str | None = None
    mime_type: str | None = None
    file_size: int | None = None

    @property
    def has_media(self) -> bool:
        return self.voice_file_id is not None or self.photo_file_id is not None


def clean_text(text: str | None, *, limit: int = MAX_TEXT_CHARS, required: bool = True, too_long: str | None = None) -> str | None:
    """Strip the text and refuse it when empty (if required) or longer than the limit — never truncate."""
    cleaned = (text or "").strip()
    if not cleaned:
        if required:
            raise InvalidInput(texts.feedback.TEXT_EMPTY)
        return None
    if len(cleaned) > limit:
        raise InvalidInput((too_long or texts.feedback.TEXT_TOO_LONG).format(length=len(cleaned), limit=limit))
    return cleaned


def _check_file_size(size: int | None) -> None:
    if size is not None and size > MAX_FILE_BYTES:
        raise InvalidInput(
            texts.feedback.FILE_TOO_LARGE.format(size=f"{size / 1024 / 1024:.1f}".replace(".", ","), limit=MAX_FILE_BYTES // 1024 // 1024)
        )


def _check_voice(duration: int | None, size: int | None) -> None:
    if duration is not None and duration > MAX_VOICE_SECONDS:
        raise InvalidInput(
            texts.feedback.VOICE_TOO_LONG.format(minutes=duration // 60, seconds=duration % 60, limit=MAX_VOICE_SECONDS // 60)
        )
    _check_file_size(size)


def validate_content(content: Content) -> Content:
    """The limits every channel shares; returns the content with its text cleaned."""
    if content.voice_file_id is not None and content.photo_file_id is not None:
        raise InvalidInput(texts.feedback.UNSUPPORTED)
    if content.voice_file_id is not None:
        _check_voice(content.voice_duration, content.file_size)
    if content.photo_file_id is not None:
        _check_file_size(content.file_size)
    text = clean_text(content.text, required=not content.has_media)
    return Content(
        text=text,
        voice_file_id=content.voice_file_id,
        voice_duration=content.voice_duration,
        photo_file_id=content.photo_file_id,
        mime_type=content.mime_type,
        file_size=content.file_size,
    )


# ---------------------------------------------------------------- sending


async def recipients_for(session: AsyncSession, *, actor: Actor) -> list[Org]:
    """Where this member may send: their own cell, and the committee directly above it."""
    choices = [actor.cell]
    if actor.cell.parent_id is not None:
        parent = await session.get(Org, actor.cell.parent_id)
        if parent is not None:
            choices.append(parent)
    return choices


async def check_rate(session: AsyncSession, *, member: Member, now: dt.datetime) -> None:
    """Counted in the database, so it holds across bot and API processes."""
    day_ago = now - dt.timedelta(days=1)
    rows = (
        await session.execute(
            select(FeedbackItem.created_at)
            .where(FeedbackItem.author_id == member.id, FeedbackItem.created_at > day_ago)
            .order_by(FeedbackItem.created_at)
        )
    ).scalars().all()
    if len(rows) >= PER_DAY:
        wait = rows[len(rows) - PER_DAY] + dt.timedelta(days=1) - now
        raise RateLimited(texts.feedback.RATE_DAY.format(count=PER_DAY, hours=max(1, math.ceil(wait.total_seconds() / 3600))))
    hour_ago = now - dt.timedelta(hours=1)
    last_hour = [at for at in rows if at > hour_ago]
    if len(last_hour) >= PER_HOUR:
        wait = last_hour[len(last_hour) - PER_HOUR] + dt.timedelta(hours=1) - now
        raise RateLimited(texts.feedback.RATE_HOUR.format(count=PER_HOUR, minutes=max(1, math.ceil(wait.total_seconds() / 60))))


def make_reference(kind: FeedbackKind, created_at: dt.datetime, item_id: int) -> str:
    return f"{REFERENCE_PREFIXES[kind]}-{created_at.astimezone(local_tz()).year}-{item_id:06d}"


async def submit(
    session: AsyncSession, *, actor: Actor, kind: FeedbackKind, org_id: int, content: Content, now: dt.datetime
) -> FeedbackItem:
    """A member sends an item; the addressed organisation's leaders are told through the outbox."""
    allowed = {org.id: org for org in await recipients_for(session, actor=actor)}
    org = allowed.get(org_id)
    if org is None:
        elsewhere = await session.get(Org, org_id) if 0 < org_id < 2**63 else None
        raise NotFound(texts.common.NOT_FOUND) if elsewhere is None else actor.refusal(elsewhere, texts.feedback.RECIPIENT_INVALID)
    content = validate_content(content)
    # One member's submissions queue behind each other (PostgreSQL), so the limit cannot be raced.
    await session.execute(select(Member.id).where(Member.id == actor.member.id).with_for_update())
    latest = await session.scalar(select(func.max(FeedbackItem.created_at)).where(FeedbackItem.author_id == actor.member.id))
    if latest is not None and now - latest < FLOOD_WINDOW:
        raise RateLimited(texts.feedback.TOO_SOON)
    await check_rate(session, member=actor.member, now=now)
    item = FeedbackItem(
        author_id=actor.member.id,
        kind=kind,
        addressed_org_id=org.id,
        current_org_id=org.id,
        text=content.text,
        voice_file_id=content.voice_file_id,
        voice_duration=content.voice_duration,
        photo_file_id=content.photo_file_id,
        mime_type=content.mime_type,
        file_size=content.file_size,
        state=FeedbackState.OPEN,
        created_at=now,
    )
    session.add(item)
    await session.flush()
    item.reference = make_reference(kind, now, item.id)
    await session.flush()
    leaders = [m for m in await leaders_of(session, org) if m != actor.member.id]
    message = OutboundMessage(
        text=texts.feedback.NOTICE_NEW.format(
            reference=item.reference,
            kind=texts.feedback.KINDS[kind.value],
            author=render.escape(actor.member.full_name),
            author_cell=render.escape(actor.cell.name),
            org=render.escape(org.name),
            excerpt=render.excerpt_html(item, limit=NOTICE_EXCERPT_CHARS),
        ),
        buttons=((Button(texts.feedback.BTN_OPEN, item_button_data("open", item.id)),),),
        attachment=media_of(item),
    )
    await enqueue_many(
        session, member_ids=leaders, kind="feedback_new", source=f"feedback:{item.id}", message=message,
        key_suffix="new", priority=NOTIFY_PRIORITY, not_before=now,
    )
    return item


async def leaders_of(session: AsyncSession, org: Org) -> list[int]:
    """Who answers for an organisation: a cell's secretary and deputies, a committee's members."""
    roles = (RoleKind.SECRETARY, RoleKind.DEPUTY) if org.kind == OrgKind.CELL else (RoleKind.COMMITTEE_MEMBER,)
    query = (
        select(OrgRole.member_id)
        .join(Member, Member.id == OrgRole.member_id)
        .where(OrgRole.org_id == org.id, OrgRole.role.in_(roles), Member.active)
        .order_by(OrgRole.member_id)
        .distinct()
    )
    return list((await session.execute(query)).scalars())


# ---------------------------------------------------------------- who may see what


def may_read(actor: Actor, item: FeedbackItem, addressed: Org) -> bool:
    return item.author_id == actor.member.id or actor.manages(addressed)


def may_act(actor: Actor, item: FeedbackItem, current: Org) -> bool:
    return item.author_id != actor.member.id and actor.manages(current)


def _visible_condition(actor: Actor, addressed: type[Org]) -> ColumnElement[bool]:
    """SQL: items this actor may read (their own, or addressed inside a subtree they manage)."""
    roots = [org.path for org in actor.managed_orgs]
    managed = or_(*(addressed.path.startswith(path, autoescape=True) for path in roots)) if roots else false()
    return or_(FeedbackItem.author_id == actor.member.id, managed)


async def _load(session: AsyncSession, item_id: int, *, for_update: bool = False) -> tuple[FeedbackItem, Org, Org]:
    query = select(FeedbackItem).where(FeedbackItem.id == item_id)
    if for_update:
        query = query.with_for_update()
    item = (await session.execute(query)).scalar_one_or_none()
    if item is None:
        raise NotFound(texts.common.NOT_FOUND)
    orgs = await orgs_by_ids(session, [item.addressed_org_id, item.current_org_id])
    return item, orgs[item.addressed_org_id], orgs[item.current_org_id]


async def readable_item(session: AsyncSession, *, actor: Actor, item_id: int) -> FeedbackItem:
    item, addressed, _ = await _load(session, item_id)
    if not may_read(actor, item, addressed):
        raise NotFound(texts.common.NOT_FOUND)
    return item


async def _actionable(session: AsyncSession, *, actor: Actor, item_id: int) -> tuple[FeedbackItem, Org]:
    item, addressed, current = await _load(session, item_id, for_update=True)
    if not may_read(actor, item, addressed):
        raise NotFound(texts.common.NOT_FOUND)
    if item.author_id == actor.member.id:
        raise PermissionDenied(texts.feedback.OWN_ITEM)
    if not actor.manages(current):
        raise PermissionDenied(texts.feedback.NOT_AT_YOUR_LEVEL.format(org=render.escape(current.name)))
    if item.state == FeedbackState.CLOSED:
        raise Conflict(texts.feedback.ALREADY_CLOSED)
    return item, current


async def actionable_view(session: AsyncSession, *, actor: Actor, item_id: int) -> ItemView:
    """The item, refused unless this actor may act on it now (before asking for a reply or a confirmation)."""
    await _actionable(session, actor=actor, item_id=item_id)
    return await view_item(session, actor=actor, item_id=item_id)


async def view_item(session: AsyncSession, *, actor: Actor, item_id: int) -> ItemView:
    item, addressed, current = await _load(session, item_id)
    if not may_read(actor, item, addressed):
        raise NotFound(texts.common.NOT_FOUND)
    author = await session.get(Member, item.author_id)
    assert author is not None
    replies = list(
        (await session.execute(select(FeedbackReply).where(FeedbackReply.item_id == item.id).order_by(FeedbackReply.id))).scalars()
    )
    forwards = list(
        (await session.execute(select(FeedbackForward).where(FeedbackForward.item_id == item.id).order_by(FeedbackForward.id))).scalars()
    )
    member_ids = {r.author_id for r in replies} | {f.by_id for f in forwards}
    names = await _names(session, member_ids)
    org_ids = {author.org_id} | {r.org_id for r in replies} | {f.from_org_id for f in forwards} | {f.to_org_id for f in forwards}
    orgs = await orgs_by_ids(session, org_ids)
    can_act = item.state != FeedbackState.CLOSED and may_act(actor, item, current)
    forward_to = None
    if can_act and current.parent_id is not None:
        forward_to = await session.get(Org, current.parent_id)
    return ItemView(
        item=item,
        author_name=author.full_name,
        author_cell_name=orgs[author.org_id].name,
        addressed_org=addressed,
        current_org=current,
        replies=[
            ReplyView(
                id=r.id, author_name=names.get(r.author_id, ""), org_name=orgs[r.org_id].name, text=r.text,
                voice_file_id=r.voice_file_id, voice_duration=r.voice_duration, created_at=r.created_at,
            )
            for r in replies
        ],
        forwards=[
            ForwardView(
                from_org_name=orgs[f.from_org_id].name, to_org_name=orgs[f.to_org_id].name, by_name=names.get(f.by_id, ""),
                at=f.at, note=f.note,
            )
            for f in forwards
        ],
        is_author=item.author_id == actor.member.id,
        can_act=can_act,
        forward_to=forward_to,
    )


async def _names(session: AsyncSession, member_ids: set[int]) -> dict[int, str]:
    if not member_ids:
        return {}
    rows = await session.execute(select(Member.id, Member.full_name).where(Member.id.in_(member_ids)))
    return {member_id: name for member_id, name in rows}


# ---------------------------------------------------------------- lists

Scope = Literal["mine", "inbox", "visible"]


@dataclass(frozen=True)
class Page:
    items: list[ItemSummary]
    total: int
    offset: int
    limit: int

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit))


def _inbox_condition(actor: Actor, *, waiting_only: bool) -> ColumnElement[bool]:
    """The inbox of a secretary or committee member: items addressed or forwarded to the
    organisations they lead directly (not every cell below a committee). "Waiting" means open
    items at their level, the ones they can act on."""
    root_ids = [org.id for org in actor.managed_orgs]
    if not root_ids:
        return false()
    if waiting_only:
        return and_(FeedbackItem.current_org_id.in_(root_ids), FeedbackItem.state == FeedbackState.OPEN)
    return or_(FeedbackItem.current_org_id.in_(root_ids), FeedbackItem.addressed_org_id.in_(root_ids))


async def list_items(
    session: AsyncSession,
    *,
    actor: Actor,
    scope: Scope,
    state: FeedbackState | None = None,
    kind: FeedbackKind | None = None,
    org_id: int | None = None,
    waiting_only: bool = False,
    offset: int = 0,
    limit: int = 20,
) -> Page:
    """Items this actor may read, newest first. `org_id` keeps those addressed inside that subtree."""
    addressed = aliased(Org)
    query: Select[tuple[FeedbackItem]] = select(FeedbackItem).join(addressed, addressed.id == FeedbackItem.addressed_org_id)
    # Privacy first, whatever the scope: nothing outside what this actor may read.
    conditions: list[ColumnElement[bool]] = [_visible_condition(actor, addressed)]
    if scope == "mine":
        conditions.append(FeedbackItem.author_id == actor.member.id)
    elif scope == "inbox":
        conditions.append(_inbox_condition(actor, waiting_only=waiting_only))
        conditions.append(FeedbackItem.author_id != actor.member.id)
    if state is not None:
        conditions.append(FeedbackItem.state == state)
    if kind is not None:
        conditions.append(FeedbackItem.kind == kind)
    if org_id is not None:
        org = await session.get(Org, org_id)
        if org is None:
            raise NotFound(texts.feedback.API_ORG_UNKNOWN)
        conditions.append(addressed.path.startswith(org.path, autoescape=True))
    query = query.where(*conditions)
    total = int((await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one())
    items = list((await session.execute(query.order_by(FeedbackItem.id.desc()).offset(offset).limit(limit))).scalars())
    return Page(items=await _summaries(session, items), total=total, offset=offset, limit=limit)


async def _summaries(session: AsyncSession, items: Sequence[FeedbackItem]) -> list[ItemSummary]:
    if not items:
        return []
    names = await _names(session, {i.author_id for i in items})
    orgs = await orgs_by_ids(session, [i.addressed_org_id for i in items] + [i.current_org_id for i in items])
    rows = await session.execute(
        select(FeedbackReply.item_id, func.count(FeedbackReply.id))
        .where(FeedbackReply.item_id.in_([i.id for i in items]))
        .group_by(FeedbackReply.item_id)
    )
    counts = {item_id: int(n) for item_id, n in rows}
    return [
        ItemSummary(
            item=i,
            author_name=names.get(i.author_id, ""),
            addressed_org_name=orgs[i.addressed_org_id].name,
            current_org_name=orgs[i.current_org_id].name,
            reply_count=int(counts.get(i.id, 0)),
        )
        for i in items
    ]


async def waiting_count(session: AsyncSession, *, actor: Actor) -> int:
    """Open items at the levels this actor leads (the number on the inbox button)."""
    if not actor.is_manager:
        return 0
    query = select(func.count(FeedbackItem.id)).where(
        _inbox_condition(actor, waiting_only=True), FeedbackItem.author_id != actor.member.id
    )
    return int((await session.execute(query)).scalar_one())


# ---------------------------------------------------------------- answering


async def reply(
    session: AsyncSession, *, actor: Actor, item_id: int, content: Content, now: dt.datetime
) -> tuple[FeedbackItem, FeedbackReply]:
    """An answer, by text or voice; it reaches the member through the outbox with the reference."""
    item, current = await _actionable(session, actor=actor, item_id=item_id)
    if content.photo_file_id is not None:
        raise InvalidInput(texts.feedback.REPLY_UNSUPPORTED)
    if content.voice_file_id is not None:
        _check_voice(content.voice_duration, content.file_size)
        text = clean_text(content.text, limit=MAX_VOICE_CAPTION_CHARS, required=False, too_long=texts.feedback.REPLY_TOO_LONG)
    else:
        text = clean_text(content.text, limit=MAX_REPLY_CHARS, too_long=texts.feedback.REPLY_TOO_LONG)
    answer = FeedbackReply(
        item_id=item.id, author_id=actor.member.id, org_id=current.id, text=text,
        voice_file_id=content.voice_file_id, voice_duration=content.voice_duration, created_at=now,
    )
    session.add(answer)
    item.state = FeedbackState.ANSWERED
    if item.answered_at is None:
        item.answered_at = now
    await session.flush()
    kind = texts.feedback.KINDS[item.kind.value]
    if content.voice_file_id is not None:
        body = texts.feedback.NOTICE_REPLY_VOICE.format(
            reference=item.reference, kind=kind, org=render.escape(current.name), replier=render.escape(actor.member.full_name)
        )
        if text:
            body += "\n\n" + render.escape(text)
        attachment: Attachment | None = Attachment(kind="voice", file_id=content.voice_file_id, duration=content.voice_duration)
    else:
        body = texts.feedback.NOTICE_REPLY.format(
            reference=item.reference, kind=kind, org=render.escape(current.name),
            replier=render.escape(actor.member.full_name), body=render.escape(text or ""),
        )
        attachment = None
    await enqueue(
        session,
        member_id=item.author_id,
        kind="feedback_reply",
        source=f"feedback:{item.id}",
        message=OutboundMessage(
            text=body, attachment=attachment, buttons=((Button(texts.feedback.BTN_VIEW, item_button_data("open", item.id)),),)
        ),
        key_suffix=str(answer.id),
        priority=NOTIFY_PRIORITY,
        not_before=now,  # due by the service's clock, as every other message core queues
    )
    return item, answer


async def forward(
    session: AsyncSession, *, actor: Actor, item_id: int, now: dt.datetime, note: str | None = None
) -> tuple[FeedbackItem, FeedbackForward]:
    """Send an item one level up; it waits there for an answer. The member and the new level are told."""
    item, current = await _actionable(session, actor=actor, item_id=item_id)
    if current.parent_id is None:
        raise Conflict(texts.feedback.NO_HIGHER_LEVEL)
    target = await session.get(Org, current.parent_id)
    assert target is not None
    cleaned_note = clean_text(note, limit=MAX_NOTE_CHARS, required=False)
    record = FeedbackForward(item_id=item.id, from_org_id=current.id, to_org_id=target.id, by_id=actor.member.id, at=now, note=cleaned_note)
    session.add(record)
    item.current_org_id = target.id
    item.state = FeedbackState.OPEN
    await session.flush()
    author = await session.get(Member, item.author_id)
    assert author is not None
    author_cell = await session.get(Org, author.org_id)
    assert author_cell is not None
    source = f"feedback:{item.id}"
    leaders = [m for m in await leaders_of(session, target) if m != item.author_id]
    await enqueue_many(
        session,
        member_ids=leaders,
        kind="feedback_new",
        source=source,
        message=OutboundMessage(
            text=texts.feedback.NOTICE_FORWARDED.format(
                reference=item.reference, kind=texts.feedback.KINDS[item.kind.value], from_org=render.escape(current.name),
                to_org=render.escape(target.name), author=render.escape(author.full_name),
                author_cell=render.escape(author_cell.name), excerpt=render.excerpt_html(item, limit=NOTICE_EXCERPT_CHARS),
            )
            + (texts.feedback.NOTICE_FORWARD_NOTE.format(note=render.escape(cleaned_note)) if cleaned_note else ""),
            buttons=((Button(texts.feedback.BTN_OPEN, item_button_data("open", item.id)),),),
            attachment=media_of(item),
        ),
        key_suffix=f"forward:{record.id}",
        priority=NOTIFY_PRIORITY,
        not_before=now,
    )
    await enqueue(
        session,
        member_id=item.author_id,
        kind="feedback_status",
        source=source,
        message=OutboundMessage(
            text=texts.feedback.NOTICE_FORWARDED_TO_AUTHOR.format(
                reference=item.reference, from_org=render.escape(current.name), to_org=render.escape(target.name)
            ),
            buttons=((Button(texts.feedback.BTN_VIEW, item_button_data("open", item.id)),),),
        ),
        key_suffix=f"forward:{record.id}",
        not_before=now,
    )
    return item, record


async def close(session: AsyncSession, *, actor: Actor, item_id: int, now: dt.datetime) -> FeedbackItem:
    """Settle an item. A member whose item is closed without any answer is told, so no one waits in silence."""
    item, current = await _actionable(session, actor=actor, item_id=item_id)
    never_answered = item.answered_at is None
    item.state = FeedbackState.CLOSED
    item.closed_at = now
    item.closed_by_id = actor.member.id
    await session.flush()
    if never_answered:
        await enqueue(
            session,
            member_id=item.author_id,
            kind="feedback_status",
            source=f"feedback:{item.id}",
            message=OutboundMessage(
                text=texts.feedback.NOTICE_CLOSED_TO_AUTHOR.format(reference=item.reference, org=render.escape(current.name)),
                buttons=((Button(texts.feedback.BTN_VIEW, item_button_data("open", item.id)),),),
            ),
            key_suffix="closed",
            not_before=now,
        )
    return item


# ---------------------------------------------------------------- figures


def _as_utc(moment: dt.date | dt.datetime) -> dt.datetime:
    """A date means local midnight (Hà Nội); a datetime must be aware."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime or a date")
        return moment.astimezone(dt.timezone.utc)
    return dt.datetime.combine(moment, dt.time(), tzinfo=local_tz()).astimezone(dt.timezone.utc)


async def feedback_counts(
    session: AsyncSession, *, org_path_prefix: str, month_start: dt.date | dt.datetime, month_end: dt.date | dt.datetime
) -> tuple[int, int]:
    """(received, answered) for the monthly figures of the subtree at `org_path_prefix`.

    Received: items created in [month_start, month_end) addressed to an organisation in the
    subtree. Answered: those of them with a first answer before month_end. Dates are local days.
    """
    start, end = _as_utc(month_start), _as_utc(month_end)
    answered = func.count(FeedbackItem.id).filter(FeedbackItem.answered_at.is_not(None), FeedbackItem.answered_at < end)
    query = (
        select(func.count(FeedbackItem.id), answered)
        .join(Org, Org.id == FeedbackItem.addressed_org_id)
        .where(in_any_subtree([org_path_prefix]), FeedbackItem.created_at >= start, FeedbackItem.created_at < end)
    )
    received_count, answered_count = (await session.execute(query)).one()
    return int(received_count), int(answered_count or 0)

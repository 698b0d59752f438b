"""Broadcast notices: who may send to whom, the audience, sending, stopping, «Đã xem», reports.

Who: secretaries and deputies send to their cell; committee members to their whole subtree or
one organisation in it (`Actor.manages`). Everything a manager asks about one notice is allowed to
its author and to whoever manages its organisation; to anyone else the notice does not exist.

The audience is fixed when the notice is sent (`NoticeRecipient`): active members of the
organisation's subtree who receive notices (exempt members only if they opted in), except the
author. Linked members get an outbox row in the same transaction; the others are listed in the
final report so the secretary can phone them.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, and_, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.outbox import cancel_pending, enqueue, enqueue_many, state_counts
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.notices import paid, render
from core.notices.files import NoticeAttachment, StoredFile, stored_file
from core.notices.paid import PaidQuote
from core.notices.models import Notice, NoticeRecipient, NoticeStatus
from core.orgs.models import ChannelLink, Member, Org, OrgKind
from core.orgs.service import Actor, get_org, in_any_subtree, managed_org, in_subtree, receives_notices
from core.ports import Button, OutboundMessage
from core.listening.buttons import record_button
from core.listening import presynthesis
from core.listening.models import SubjectKind

KIND = "notice"  # the broadcast rows
AUTHOR_KIND = "notice_author"  # status edits and the final report, to the author
MAX_TEXT_CHARS = 3500  # a text notice plus its header and footer fits one Telegram message (4096)
MAX_CAPTION_CHARS = 850  # a caption is limited to 1024 by Telegram, header and footer included
BROADCAST_PRIORITY = 0
AUTHOR_PRIORITY = 8  # the author's status and report go before the broadcast itself
PROGRESS_EVERY = dt.timedelta(seconds=3)
TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
FRAMING_CHARS = 60  # "📢 THÔNG BÁO — ", "Người gửi: đồng chí ", line breaks


@dataclass(frozen=True)
class Target:
    org: Org
    whole_subtree: bool  # a committee: everything under it


@dataclass(frozen=True)
class Preview:
    org: Org
    total: int
    unlinked: int
    paid: PaidQuote | None = None  # what it would cost sent urgent and paid; None when it cannot be


@dataclass(frozen=True)
class Progress:
    total: int  # everyone in the audience
    linked: int  # those with an account: the rows queued
    sent: int
    pending: int  # not tried yet, or being sent, or waiting for a retry
    failed: int
    unreachable: int
    cancelled: int
    seen: int

    @property
    def unlinked(self) -> int:
        return self.total - self.linked

    @property
    def finished(self) -> bool:
        return self.pending == 0


@dataclass(frozen=True)
class Report:
    notice: Notice
    org: Org
    progress: Progress
    unlinked: list[str]
    unreachable: list[str]
    failed: list[str]
    not_seen: list[str]


@dataclass(frozen=True)
class RecipientStatus:
    member_id: int
    full_name: str
    linked: bool
    delivery: str  # an outbox state, or "unlinked"
    sent_at: dt.datetime | None
    seen_at: dt.datetime | None


@dataclass(frozen=True)
class NoticeSummary:
    notice: Notice
    org_name: str
    sent: int
    seen: int


# ---------------------------------------------------------------- targets and audience


async def targets_for(session: AsyncSession, *, actor: Actor) -> list[Target]:
    """Where this person may send: their cell, or each committee they sit on and what is directly below it."""
    found: dict[int, Target] = {}
    for org in sorted(actor.managed_orgs, key=lambda o: (o.depth, o.name)):
        found.setdefault(org.id, Target(org, whole_subtree=org.kind == OrgKind.COMMITTEE))
        if org.kind == OrgKind.COMMITTEE:
            children = (await session.execute(select(Org).where(Org.parent_id == org.id).order_by(Org.name))).scalars()
            for child in children:
                found.setdefault(child.id, Target(child, whole_subtree=child.kind == OrgKind.COMMITTEE))
    return list(found.values())


def _audience_query(org: Org, *, author_id: int | None) -> Select[tuple[int, str, bool]]:
    linked = exists().where(ChannelLink.member_id == Member.id)  # on any messenger: the outbox picks the channel
    query = (
        select(Member.id, Member.full_name, linked.label("linked"))
        .join(Org, Org.id == Member.org_id)
        .where(in_subtree(org.path), receives_notices())
        .order_by(Member.full_name, Member.id)
    )
    if author_id is not None:
        query = query.where(Member.id != author_id)
    return query


async def preview(session: AsyncSession, *, actor: Actor, org_id: int, paid_price: Decimal | None = None) -> Preview:
    """Who a notice would reach; with `paid_price` (paid broadcasts on), also what it would cost paid."""
    org = await managed_org(session, actor, org_id)
    rows = (await session.execute(_audience_query(org, author_id=actor.member.id))).all()
    if not rows:
        raise InvalidInput(texts.notices.NO_RECIPIENTS.format(org=html.escape(org.name)))
    cost = await paid.quote(session, actor=actor, org=org, member_ids=[row.id for row in rows if row.linked], price=paid_price)
    return Preview(org=org, total=len(rows), unlinked=sum(1 for row in rows if not row.linked), paid=cost)


def clean_text(text: str | None, *, with_attachment: bool, org_name: str = "", author_name: str = "") -> str:
    """The notice's words, checked: required without a file, short enough either way.

    The header (organisation) and footer (author) travel in the same message, so long names
    leave less room: what members receive must fit Telegram's 4096 (text) or 1024 (caption).
    """
    cleaned = (text or "").strip()
    framing = len(org_name) + len(author_name) + FRAMING_CHARS
    if with_attachment:
        limit = min(MAX_CAPTION_CHARS, TELEGRAM_CAPTION_LIMIT - framing)
        if len(cleaned) > limit:
            raise InvalidInput(texts.notices.CAPTION_TOO_LONG.format(limit=limit, length=len(cleaned)))
        return cleaned
    if not cleaned:
        raise InvalidInput(texts.notices.EMPTY)
    limit = min(MAX_TEXT_CHARS, TELEGRAM_TEXT_LIMIT - framing)
    if len(cleaned) > limit:
        raise InvalidInput(texts.notices.TOO_LONG.format(limit=limit, length=len(cleaned)))
    return cleaned


# ---------------------------------------------------------------- sending and stopping


async def create_notice(
    session: AsyncSession,
    *,
    actor: Actor,
    org_id: int,
    text: str | None,
    now: dt.datetime,
    attachment: NoticeAttachment | None = None,
    request_key: str | None = None,
    status_chat_id: str | None = None,
    status_message_id: str | None = None,
    urgent: bool = False,
    paid_price: Decimal | None = None,
    confirmed_stars: Decimal | None = None,
) -> Notice:
    """Create the notice, freeze its audience and queue one message per linked member, in one transaction.

    The same `request_key` again returns the notice already created (a double tap, an API retry).
    `urgent`: only a committee member to a committee's subtree; with `paid_price` (paid broadcasts
    on) it goes as a paid broadcast, and only if `confirmed_stars` is the cost as it is now.
    """
    org = await managed_org(session, actor, org_id)
    if urgent and not paid.may_send_paid(actor, org):
        raise PermissionDenied(texts.notices.URGENT_NOT_ALLOWED)
    cleaned = clean_text(text, with_attachment=attachment is not None, org_name=org.name, author_name=actor.member.full_name)
    if request_key is not None:
        existing = await _by_request_key(session, actor, request_key)
        if existing is not None:
            return existing
    audience = (await session.execute(_audience_query(org, author_id=actor.member.id))).all()
    if not audience:
        raise InvalidInput(texts.notices.NO_RECIPIENTS.format(org=html.escape(org.name)))
    linked_ids = [row.id for row in audience if row.linked]
    cost = await paid.quote(session, actor=actor, org=org, member_ids=linked_ids, price=paid_price) if urgent else None
    if cost is not None and confirmed_stars != cost.stars:
        # Shown one cost, about to pay another (or none shown): ask again with the cost as it is now.
        raise Conflict(texts.notices.PAID_COST_CHANGED.format(stars=paid.format_stars(cost.stars), messages=cost.messages))
    notice = Notice(
        urgent=urgent,
        paid_stars=cost.stars if cost is not None else None,
        author_member_id=actor.member.id,
        org_id=org.id,
        text=cleaned,
        attachment_kind=attachment.kind if attachment else None,
        attachment_file_id=attachment.file_id if attachment else None,
        attachment_path=attachment.path if attachment else None,
        attachment_filename=attachment.filename if attachment else None,
        status=NoticeStatus.SENDING,
        request_key=request_key,
        recipients_total=len(audience),
        status_chat_id=status_chat_id,
        status_message_id=status_message_id,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(notice)
            await session.flush()
    except IntegrityError:
        # The same request, committed by a concurrent call a moment ago.
        existing = await _by_request_key(session, actor, request_key or "")
        if existing is None:
            raise
        return existing
    rows = [{"notice_id": notice.id, "member_id": row.id, "linked": bool(row.linked)} for row in audience]
    for start in range(0, len(rows), 1000):
        await session.execute(insert(NoticeRecipient), rows[start : start + 1000])
    message = render.notice_message(notice, org_name=org.name, author_name=actor.member.full_name)
    result = await enqueue_many(
        session, member_ids=linked_ids, kind=KIND, source=notice.source, message=message,
        priority=BROADCAST_PRIORITY, not_before=now, paid=cost is not None,
    )
    notice.recipients_linked = result.queued + result.already_queued
    if cleaned:  # its machine reading is made before anyone taps «🔊 Nghe»
        await presynthesis.queue(session, kind=SubjectKind.NOTICE, subject_id=notice.id, now=now)
    await audit.record(
        session, "notice.created", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=org.id, target=notice.source,
        detail={"recipients": len(audience), "linked": notice.recipients_linked, "attachment": attachment.kind.value if attachment else None,
                "urgent": urgent, "paid_stars": str(notice.paid_stars) if notice.paid_stars is not None else None},
        at=now,
    )
    await session.flush()
    return notice


async def _by_request_key(session: AsyncSession, actor: Actor, request_key: str) -> Notice | None:
    existing = await session.scalar(select(Notice).where(Notice.request_key == request_key))
    if existing is not None and existing.author_member_id != actor.member.id:
        raise Conflict(texts.common.FORBIDDEN)
    return existing


async def notice_for_manager(session: AsyncSession, *, actor: Actor, notice_id: int) -> tuple[Notice, Org]:
    """The notice and its organisation, for its author or a manager of its organisation; else not found."""
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(texts.common.NOT_FOUND)
    org = await get_org(session, notice.org_id)
    if notice.author_member_id != actor.member.id and not actor.manages(org):
        raise NotFound(texts.common.NOT_FOUND)
    return notice, org


async def file_for_manager(session: AsyncSession, *, actor: Actor, notice_id: int) -> StoredFile:
    """The notice's uploaded file, to whoever may read the notice (its author, managers of its
    organisation); to anyone else the notice does not exist."""
    notice, _ = await notice_for_manager(session, actor=actor, notice_id=notice_id)
    return stored_file(notice)


async def cancel_notice(session: AsyncSession, *, actor: Actor, notice_id: int, now: dt.datetime) -> Notice:
    """Stop a running broadcast: what is not sent yet is never sent. The final report follows."""
    notice, org = await notice_for_manager(session, actor=actor, notice_id=notice_id)
    if notice.status != NoticeStatus.SENDING or notice.finished_at is not None:
        raise Conflict(texts.notices.ALREADY_FINISHED)
    cancelled = await cancel_pending(session, source=notice.source, kind=KIND)
    notice.status = NoticeStatus.CANCELLED
    notice.cancelled_at = now
    await audit.record(
        session, "notice.cancelled", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=org.id, target=notice.source, detail={"unsent": cancelled}, at=now
    )
    return notice


async def confirm_seen(session: AsyncSession, *, member: Member, notice_id: int, now: dt.datetime) -> bool:
    """A member's «Đã xem». True the first time; a non-recipient is told the notice does not exist."""
    recipient = await session.scalar(
        select(NoticeRecipient).where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.member_id == member.id)
    )
    if recipient is None:
        raise NotFound(texts.common.NOT_FOUND)
    if recipient.seen_at is not None:
        return False
    recipient.seen_at = now
    return True


# ---------------------------------------------------------------- progress and reports


async def progress_of(session: AsyncSession, notice: Notice) -> Progress:
    counts = await state_counts(session, source=notice.source, kind=KIND)
    seen = await session.scalar(
        select(func.count(NoticeRecipient.id)).where(NoticeRecipient.notice_id == notice.id, NoticeRecipient.seen_at.is_not(None))
    )
    return Progress(
        total=notice.recipients_total,
        linked=notice.recipients_linked,
        sent=counts.get(OutboxState.SENT, 0),
        pending=counts.get(OutboxState.PENDING, 0) + counts.get(OutboxState.SENDING, 0),
        failed=counts.get(OutboxState.FAILED, 0),
        unreachable=counts.get(OutboxState.UNREACHABLE, 0),
        cancelled=counts.get(OutboxState.CANCELLED, 0),
        seen=int(seen or 0),
    )


async def recipients_of(session: AsyncSession, notice: Notice) -> list[RecipientStatus]:
    query = (
        select(NoticeRecipient, Member.full_name, OutboxMessage.state, OutboxMessage.sent_at)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .outerjoin(
            OutboxMessage,
            and_(OutboxMessage.source == notice.source, OutboxMessage.kind == KIND, OutboxMessage.member_id == NoticeRecipient.member_id),
        )
        .where(NoticeRecipient.notice_id == notice.id)
        .order_by(Member.full_name, Member.id)
    )
    found = []
    for recipient, name, state, sent_at in (await session.execute(query)).all():
        if state is None:
            delivery = "unlinked" if not recipient.linked else OutboxState.FAILED.value
        else:
            delivery = OutboxState(state).value
        found.append(
            RecipientStatus(
                member_id=recipient.member_id, full_name=name, linked=recipient.linked, delivery=delivery, sent_at=sent_at,
                seen_at=recipient.seen_at,
            )
        )
    return found


async def report_of(session: AsyncSession, notice: Notice) -> Report:
    org = await get_org(session, notice.org_id)
    progress = await progress_of(session, notice)
    recipients = await recipients_of(session, notice)
    return Report(
        notice=notice,
        org=org,
        progress=progress,
        unlinked=[r.full_name for r in recipients if r.delivery == "unlinked"],
        unreachable=[r.full_name for r in recipients if r.delivery == OutboxState.UNREACHABLE.value],
        failed=[r.full_name for r in recipients if r.delivery == OutboxState.FAILED.value],
        not_seen=[r.full_name for r in recipients if r.delivery == OutboxState.SENT.value and r.seen_at is None],
    )


async def report_for(session: AsyncSession, *, actor: Actor, notice_id: int) -> Report:
    notice, _ = await notice_for_manager(session, actor=actor, notice_id=notice_id)
    return await report_of(session, notice)


def report_text(report: Report) -> str:
    notice, progress = report.notice, report.progress
    text = texts.notices.REPORT_TITLE.format(org=html.escape(report.org.name), excerpt=render.excerpt(notice))
    if notice.status == NoticeStatus.CANCELLED:
        text += texts.notices.REPORT_CANCELLED
    text += texts.notices.REPORT_DELIVERED.format(sent=progress.sent, total=progress.total)
    if progress.sent:
        text += texts.notices.REPORT_SEEN.format(seen=progress.seen, sent=progress.sent)
    if report.unlinked:
        text += texts.notices.REPORT_UNLINKED.format(count=len(report.unlinked), names=render.names(report.unlinked))
    if report.unreachable:
        text += texts.notices.REPORT_UNREACHABLE.format(count=len(report.unreachable), names=render.names(report.unreachable))
    if report.failed:
        text += texts.notices.REPORT_FAILED.format(count=len(report.failed), names=render.names(report.failed))
    if progress.cancelled:
        text += texts.notices.REPORT_NOT_SENT.format(count=progress.cancelled)
    return text


def seen_text(report: Report) -> str:
    progress = report.progress
    text = texts.notices.SEEN_TITLE.format(
        org=html.escape(report.org.name), excerpt=render.excerpt(report.notice), seen=progress.seen, sent=progress.sent
    )
    if report.not_seen:
        text += texts.notices.SEEN_WAITING.format(count=len(report.not_seen), names=render.names(report.not_seen))
    elif progress.sent:
        text += texts.notices.SEEN_ALL
    return text


async def recent_notices(session: AsyncSession, *, actor: Actor, limit: int = 8) -> list[NoticeSummary]:
    """The latest notices of the organisations this person manages, and their own."""
    paths = [org.path for org in actor.managed_orgs]
    query = (
        select(Notice, Org.name)
        .join(Org, Org.id == Notice.org_id)
        .where(or_(in_any_subtree(paths), Notice.author_member_id == actor.member.id))
        .order_by(Notice.id.desc())
        .limit(limit)
    )
    found = []
    for notice, org_name in (await session.execute(query)).all():
        progress = await progress_of(session, notice)
        found.append(NoticeSummary(notice=notice, org_name=org_name, sent=progress.sent, seen=progress.seen))
    return found


# ---------------------------------------------------------------- the author's status message


async def refresh_progress(session: AsyncSession, *, now: dt.datetime) -> int:
    """Edit each running notice's status message as sending goes on; report when it is over.

    Runs every few seconds; every message goes through the outbox with a key per step, so two
    instances running this at once queue each edit once.
    """
    query = select(Notice).where(Notice.finished_at.is_(None)).order_by(Notice.id).limit(100)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    done = 0
    for notice in (await session.execute(query)).scalars().all():
        progress = await progress_of(session, notice)
        org = await get_org(session, notice.org_id)
        if progress.finished:
            await _finish(session, notice, org, now)
            done += 1
        elif progress.sent != notice.progress_shown and (notice.progress_at is None or now - notice.progress_at >= PROGRESS_EVERY):
            await _to_author(session, notice, render.status_message(notice, org_name=org.name, sent=progress.sent), f"progress:{progress.sent}", now)
            notice.progress_shown = progress.sent
            notice.progress_at = now
            done += 1
    return done


async def _finish(session: AsyncSession, notice: Notice, org: Org, now: dt.datetime) -> None:
    notice.finished_at = now
    if notice.status == NoticeStatus.SENDING:
        notice.status = NoticeStatus.DONE
    report = await report_of(session, notice)
    notice.progress_shown = report.progress.sent
    notice.progress_at = now
    await _to_author(session, notice, render.status_message(notice, org_name=org.name, sent=report.progress.sent), "final", now)
    buttons: tuple[tuple[Button, ...], ...] = ((render.report_button(notice.id),),)
    if notice.status == NoticeStatus.DONE and notice.text.strip():  # the author may read it aloud for those who listen
        buttons += ((record_button(SubjectKind.NOTICE, notice.id),),)
    await _to_author(session, notice, OutboundMessage(text=report_text(report), buttons=buttons), "report", now)


async def _to_author(session: AsyncSession, notice: Notice, message: OutboundMessage, step: str, now: dt.datetime) -> None:
    if notice.author_member_id is None:
        return
    if message.edit_message_id is None and step != "report":
        return  # no status message to edit (a notice made through the API)
    # An edit goes to the chat holding the status message, whichever channel the author prefers now.
    platform = await _platform_of_chat(session, notice.author_member_id, notice.status_chat_id) if message.edit_message_id else None
    await enqueue(
        session, member_id=notice.author_member_id, kind=AUTHOR_KIND, source=notice.author_source, message=message, key_suffix=step,
        priority=AUTHOR_PRIORITY, not_before=now, platform=platform,
    )


async def _platform_of_chat(session: AsyncSession, member_id: int, chat_id: str | None) -> str | None:
    if chat_id is None:
        return None
    query = select(ChannelLink.platform).where(ChannelLink.member_id == member_id, ChannelLink.chat_id == str(chat_id))
    return (await session.execute(query.limit(1))).scalar_one_or_none()


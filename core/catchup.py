"""What a member missed: the digest shown on linking, past notices and past conclusions to reread.

A member who links late (or whose account was reset) has missed invitations, notices and
resolutions sent while they had no account. On linking they get a short digest
(`digest_for_new_member`): the meetings ahead, each with its answer buttons, then one screen
listing the notices and resolutions of the last `DIGEST_DAYS` days. Any time later, 📢 shows
the notices they were sent (`notices_for_member`) and every conclusion of their cell's meetings
(`conclusions_for_member`), not only the latest.

Channel-neutral: everything returns core screens (`OutboundMessage`) the front ends render.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.meetings import render as meeting_render
from core.meetings.models import Invitation, Meeting, MeetingStatus
from core.notices.models import Notice, NoticeRecipient, NoticeStatus
from core.orgs.models import Member, Org
from core.ports import Button, OutboundMessage
from core.resolutions import render as resolution_render
from core.resolutions.models import Document, DocumentState

DIGEST_DAYS = 30
MAX_MEETINGS = 3  # invitation cards in the digest; the rest are in 📅 Lịch họp
MAX_ITEMS = 8  # notices, resolutions or conclusions listed on one screen
EXCERPT = 160


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return html.escape(flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…")


def _day(moment: dt.datetime) -> str:
    from core.clock import local_date

    return local_date(moment).strftime("%d/%m/%Y")


@dataclass(frozen=True)
class PastNotice:
    notice: Notice
    org_name: str


async def notices_for_member(session: AsyncSession, *, member: Member, since: dt.datetime | None = None, limit: int = MAX_ITEMS) -> list[PastNotice]:
    """Notices the member was among the recipients of (linked or not), newest first."""
    query = (
        select(Notice, Org.name)
        .join(NoticeRecipient, NoticeRecipient.notice_id == Notice.id)
        .join(Org, Org.id == Notice.org_id)
        .where(NoticeRecipient.member_id == member.id, Notice.status != NoticeStatus.CANCELLED)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(Notice.created_at >= since)
    return [PastNotice(notice=n, org_name=name) for n, name in (await session.execute(query)).all()]


async def resolutions_for_member(session: AsyncSession, *, member: Member, since: dt.datetime, limit: int = MAX_ITEMS) -> list[Document]:
    """Documents published since `since` by the member's cell or any organisation above it."""
    cell = await session.get(Org, member.org_id)
    if cell is None:
        return []
    query = (
        select(Document)
        .where(Document.org_id.in_(cell.ancestor_ids), Document.state == DocumentState.PUBLISHED, Document.published_at >= since)
        .order_by(Document.published_at.desc(), Document.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def conclusions_for_member(session: AsyncSession, *, member: Member, limit: int = MAX_ITEMS, before_id: int | None = None) -> list[Meeting]:
    """Every meeting of the member's cell whose conclusions were sent, newest first (a page)."""
    query = (
        select(Meeting)
        .where(Meeting.cell_id == member.org_id, Meeting.conclusions_sent_at.is_not(None))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Meeting.id < before_id)
    return list((await session.execute(query)).scalars())


async def upcoming_invitations(session: AsyncSession, *, member: Member, now: dt.datetime, limit: int = MAX_MEETINGS) -> list[tuple[Invitation, Meeting]]:
    rows = await session.execute(
        select(Invitation, Meeting)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(Invitation.member_id == member.id, Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now)
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return [(invitation, meeting) for invitation, meeting in rows.all()]


async def digest_for_new_member(session: AsyncSession, *, member: Member, now: dt.datetime) -> list[OutboundMessage]:
    """The screens a member sees right after linking: nothing when there is nothing to catch up on."""
    screens: list[OutboundMessage] = []
    cell = await session.get(Org, member.org_id)
    for invitation, meeting in await upcoming_invitations(session, member=member, now=now):
        text = meeting_render.invitation_text(
            meeting, cell_name=cell.name if cell else "", show_lunar=bool(cell and cell.show_lunar_date), document_count=0,
            obliged=invitation.obliged,
        )
        screens.append(OutboundMessage(text=text, buttons=meeting_render.answer_buttons(invitation.id)))
    since = now - dt.timedelta(days=DIGEST_DAYS)
    notices = await notices_for_member(session, member=member, since=since)
    documents = await resolutions_for_member(session, member=member, since=since)
    if notices or documents:
        lines = [texts.catchup.DIGEST_TITLE.format(days=DIGEST_DAYS)]
        if notices:
            lines.append(texts.catchup.NOTICES_TITLE)
            lines += [texts.catchup.NOTICE_LINE.format(day=_day(p.notice.created_at), org=html.escape(p.org_name),
                                                       text=_excerpt(p.notice.text) or texts.catchup.ATTACHMENT_ONLY) for p in notices]
        buttons: list[tuple[Button, ...]] = []
        if documents:
            lines.append(texts.catchup.RESOLUTIONS_TITLE)
            for document in documents:
                lines.append(texts.catchup.RESOLUTION_LINE.format(day=_day(document.published_at or now),
                                                                  name=html.escape(resolution_render.short_name(document))))
                buttons.append((Button(texts.catchup.BTN_READ.format(name=resolution_render.short_name(document))[:60],
                                       resolution_render.doc_data("open", document.id)),))
        screens.append(OutboundMessage(text="\n".join(lines), buttons=tuple(buttons)))
    return screens


def notices_screen(notices: list[PastNotice]) -> OutboundMessage:
    """📢 for a member: the notices they were sent, newest first, in full enough to reread."""
    if not notices:
        return OutboundMessage(text=texts.catchup.NO_NOTICES, buttons=((Button(texts.catchup.BTN_CONCLUSIONS, CONCLUSIONS_DATA),),))
    lines = [texts.catchup.MY_NOTICES_TITLE]
    for past in notices:
        lines.append(texts.catchup.NOTICE_FULL.format(day=_day(past.notice.created_at), org=html.escape(past.org_name),
                                                      text=_excerpt(past.notice.text, 600) or texts.catchup.ATTACHMENT_ONLY))
    return OutboundMessage(text="\n\n".join(lines), buttons=((Button(texts.catchup.BTN_CONCLUSIONS, CONCLUSIONS_DATA),),))


CONCLUSIONS_DATA = "cu:concl"


def conclusions_screen(meetings: list[Meeting]) -> OutboundMessage:
    """Every past conclusion of the member's cell (a page of the newest)."""
    if not meetings:
        return OutboundMessage(text=texts.catchup.NO_CONCLUSIONS)
    lines = [texts.catchup.CONCLUSIONS_TITLE]
    for meeting in meetings:
        body = _excerpt(meeting.conclusions_text, 600) if meeting.conclusions_text else texts.catchup.CONCLUSIONS_VOICE_ONLY
        lines.append(texts.catchup.CONCLUSION_LINE.format(when=meeting_render.when(meeting), text=body))
    return OutboundMessage(text="\n\n".join(lines))

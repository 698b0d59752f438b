"""Tying a messenger account to a member record: invite codes and shared contacts.

Each refusal is audited and counted; too many refusals from one account pause its attempts.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.crypto import FieldCipher, hash_secret_token
from core.errors import DomainError, NotFound, RateLimited
from core.orgs.models import ChannelLink, InviteCode, Member, Org
from core.orgs.phones import normalize_phone
from core.orgs.service import PHONE, member_by_platform_user

INVITE_TTL = dt.timedelta(days=14)
# Short enough to type into a chat (Zalo has no deep links): 8 characters without look-alikes
# (no 0/O, 1/I/L), 32^8 ≈ 10^12 codes; guessing is bounded by the attempt limit below.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_SHORT_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_LEGACY_CODE = re.compile(r"[A-Za-z0-9_-]{16}")  # codes issued before: secrets.token_urlsafe(12)
MAX_REFUSALS = 5
REFUSAL_WINDOW = dt.timedelta(minutes=15)


class LinkRefused(DomainError):
    status = 403
    code = "link_refused"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, code=reason)
        self.reason = reason


@dataclass(frozen=True)
class Invite:
    code: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class LinkResult:
    member: Member
    cell: Org
    already_linked: bool = False


def normalize_invite_code(typed: str) -> str:
    """What a person typed → the code as issued: any case, spaces and hyphens forgiven for the short
    codes; a legacy 16-character code is case-sensitive and kept as typed (without surrounding space)."""
    stripped = typed.strip()
    compact = re.sub(r"[\s\-_.]+", "", stripped).upper()
    if _SHORT_CODE.fullmatch(compact):
        return compact
    return stripped


def looks_like_invite_code(typed: str | None) -> bool:
    if not typed:
        return False
    stripped = typed.strip()
    return bool(_SHORT_CODE.fullmatch(normalize_invite_code(stripped)) or _LEGACY_CODE.fullmatch(stripped))


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


async def create_invite(
    session: AsyncSession, *, member: Member, now: dt.datetime, ttl: dt.timedelta = INVITE_TTL, created_by: Member | None = None
) -> Invite:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))  # also a valid /start payload
    session.add(
        InviteCode(
            member_id=member.id,
            code_hash=hash_secret_token(code),
            created_at=now,
            expires_at=now + ttl,
            created_by_member_id=created_by.id if created_by else None,
        )
    )
    await audit.record(
        session, "invite.created", actor_member_id=created_by.id if created_by else None, org_id=member.org_id, target=f"member:{member.id}", at=now
    )
    return Invite(code=code, expires_at=now + ttl)


async def _guard_attempts(session: AsyncSession, *, platform_user: str, now: dt.datetime) -> None:
    refusals = await audit.count_recent(
        session, action="link.attempt", actor_platform_user=platform_user, since=now - REFUSAL_WINDOW, outcome="refused"
    )
    if refusals >= MAX_REFUSALS:
        raise RateLimited(texts.account.LINK_RATE_LIMITED.format(minutes=int(REFUSAL_WINDOW.total_seconds() // 60)))


async def _refuse(session: AsyncSession, *, platform_user: str, reason: str, message: str, now: dt.datetime, member_id: int | None = None) -> LinkRefused:
    await audit.record(
        session, "link.attempt", outcome="refused", actor_platform_user=platform_user, target=f"member:{member_id}" if member_id else None,
        detail={"reason": reason}, at=now,
    )
    return LinkRefused(message, reason=reason)


async def _link(session: AsyncSession, *, member: Member, platform: str, platform_user_id: str, chat_id: str, platform_user: str, now: dt.datetime, method: str) -> LinkResult:
    existing_for_account = await member_by_platform_user(session, platform=platform, platform_user_id=platform_user_id)
    if existing_for_account is not None:
        if existing_for_account.id == member.id:
            cell = await session.get(Org, member.org_id)
            assert cell is not None
            return LinkResult(member=member, cell=cell, already_linked=True)
        raise await _refuse(session, platform_user=platform_user, reason="account_taken", message=texts.account.ACCOUNT_TAKEN, now=now, member_id=member.id)
    other = (
        await session.execute(select(ChannelLink).where(ChannelLink.member_id == member.id, ChannelLink.platform == platform))
    ).scalar_one_or_none()
    if other is not None:
        raise await _refuse(session, platform_user=platform_user, reason="member_taken", message=texts.account.MEMBER_TAKEN, now=now, member_id=member.id)
    if not member.active:
        raise await _refuse(session, platform_user=platform_user, reason="member_inactive", message=texts.account.MEMBER_INACTIVE, now=now, member_id=member.id)
    try:
        async with session.begin_nested():
            session.add(ChannelLink(member_id=member.id, platform=platform, platform_user_id=platform_user_id, chat_id=chat_id, linked_at=now))
    except IntegrityError:
        # Two devices racing to link: the unique constraints decided; report it as taken.
        raise await _refuse(session, platform_user=platform_user, reason="member_taken", message=texts.account.MEMBER_TAKEN, now=now, member_id=member.id) from None
    await audit.record(session, "link.attempt", actor_member_id=member.id, actor_platform_user=platform_user, org_id=member.org_id, detail={"method": method}, at=now)
    cell = await session.get(Org, member.org_id)
    assert cell is not None
    return LinkResult(member=member, cell=cell)


async def redeem_invite(
    session: AsyncSession, *, code: str, platform: str, platform_user_id: str, chat_id: str, now: dt.datetime
) -> LinkResult:
    platform_user = f"{platform}:{platform_user_id}"
    await _guard_attempts(session, platform_user=platform_user, now=now)
    invite = (await session.execute(select(InviteCode).where(InviteCode.code_hash == hash_secret_token(normalize_invite_code(code))))).scalar_one_or_none()
    if invite is None:
        raise await _refuse(session, platform_user=platform_user, reason="code_invalid", message=texts.account.CODE_INVALID, now=now)
    if invite.used_at is not None:
        raise await _refuse(session, platform_user=platform_user, reason="code_used", message=texts.account.CODE_USED, now=now, member_id=invite.member_id)
    if invite.expires_at <= now:
        raise await _refuse(session, platform_user=platform_user, reason="code_expired", message=texts.account.CODE_EXPIRED, now=now, member_id=invite.member_id)
    member = await session.get(Member, invite.member_id)
    if member is None:
        raise NotFound(texts.account.CODE_INVALID)
    result = await _link(session, member=member, platform=platform, platform_user_id=platform_user_id, chat_id=chat_id, platform_user=platform_user, now=now, method="invite")
    invite.used_at = now
    invite.used_by = platform_user
    return result


async def link_by_contact(
    session: AsyncSession,
    *,
    cipher: FieldCipher,
    phone: str,
    contact_user_id: str | None,
    platform: str,
    platform_user_id: str,
    chat_id: str,
    now: dt.datetime,
) -> LinkResult:
    platform_user = f"{platform}:{platform_user_id}"
    await _guard_attempts(session, platform_user=platform_user, now=now)
    # Telegram lets anyone forward someone else's contact card; only the sender's own counts.
    if contact_user_id is None or str(contact_user_id) != str(platform_user_id):
        raise await _refuse(session, platform_user=platform_user, reason="contact_not_own", message=texts.account.CONTACT_NOT_OWN, now=now)
    normalized = normalize_phone(phone)
    members = []
    if normalized is not None:
        lookups = cipher.lookup_hashes(normalized, context=PHONE)  # every key's, while a rotation runs
        members = list((await session.execute(select(Member).where(Member.phone_hash.in_(lookups), Member.active))).scalars())
    if len(members) != 1:
        # Zero matches, or a phone shared by two records (a household phone): an invite code is needed.
        raise await _refuse(session, platform_user=platform_user, reason="phone_unknown", message=texts.account.PHONE_UNKNOWN, now=now)
    return await _link(session, member=members[0], platform=platform, platform_user_id=platform_user_id, chat_id=chat_id, platform_user=platform_user, now=now, method="contact")


async def reset_link(
    session: AsyncSession, *, member: Member, platform: str | None = None, by: Member | None, now: dt.datetime
) -> list[str]:
    """Untie the member's account on `platform` (every platform when None: a lost phone carries
    Telegram and Zalo alike); returns the platforms untied. The screens kept for the old chat (their
    numbered choices and texts, on Zalo) go with it, so whoever holds the lost phone answers nothing."""
    from core.conversation.models import ChannelScreen

    query = select(ChannelLink).where(ChannelLink.member_id == member.id)
    if platform is not None:
        query = query.where(ChannelLink.platform == platform)
    links = list((await session.execute(query.order_by(ChannelLink.platform))).scalars())
    for link in links:
        await session.execute(delete(ChannelScreen).where(ChannelScreen.platform == link.platform, ChannelScreen.chat_id == link.chat_id))
        await session.delete(link)
        await audit.record(session, "link.reset", actor_member_id=by.id if by else None, org_id=member.org_id,
                           target=f"member:{member.id}", detail={"platform": link.platform}, at=now)
    return [link.platform for link in links]

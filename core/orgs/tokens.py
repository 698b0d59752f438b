"""Personal API tokens: shown once, stored hashed, expiring and revocable.

A token may create another (`POST /api/v1/tokens`): the child is the same person's, so it carries
no more than its parent, and it never outlives it; revoking a token revokes every token it created,
and theirs, so a leaked short-lived token cannot leave a long-lived one behind.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.crypto import hash_secret_token
from core.orgs.models import ApiToken, Member

TOKEN_PREFIX = "sotay_"
DEFAULT_TTL = dt.timedelta(days=90)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


async def create_token(
    session: AsyncSession,
    *,
    member: Member,
    now: dt.datetime,
    name: str = "",
    ttl: dt.timedelta | None = DEFAULT_TTL,
    parent: ApiToken | None = None,
) -> IssuedToken:
    """A new token of `member`; with `parent` (the token asking for it) its expiry is at most the parent's."""
    if parent is not None and parent.member_id != member.id:
        raise ValueError("a token only creates tokens of its own holder")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + ttl if ttl else None
    if parent is not None and parent.expires_at is not None:
        expires_at = parent.expires_at if expires_at is None else min(expires_at, parent.expires_at)
    record = ApiToken(
        member_id=member.id,
        token_hash=hash_secret_token(token),
        prefix=token[: len(TOKEN_PREFIX) + 4],
        name=name,
        created_at=now,
        expires_at=expires_at,
        parent_id=parent.id if parent is not None else None,
    )
    session.add(record)
    await session.flush()
    await audit.record(session, "token.created", actor_member_id=member.id, org_id=member.org_id, target=f"token:{record.id}", at=now,
                       detail={"parent": f"token:{parent.id}"} if parent is not None else None)
    return IssuedToken(token=token, record=record)


async def authenticate(session: AsyncSession, token: str, *, now: dt.datetime) -> tuple[ApiToken, Member] | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    record = (await session.execute(select(ApiToken).where(ApiToken.token_hash == hash_secret_token(token)))).scalar_one_or_none()
    if record is None or record.revoked_at is not None or (record.expires_at is not None and record.expires_at <= now):
        return None
    # Belt and braces to the cascade in `revoke`: a token whose creator was revoked or expired (say,
    # created in a race with that revocation) is no better than its creator.
    ancestor: ApiToken | None = record
    depth = 0
    while ancestor is not None and ancestor.parent_id is not None and depth < 32:
        ancestor, depth = await session.get(ApiToken, ancestor.parent_id), depth + 1
        if ancestor is None or ancestor.revoked_at is not None or (ancestor.expires_at is not None and ancestor.expires_at <= now):
            return None
    member = await session.get(Member, record.member_id)
    if member is None or not member.active:
        return None
    # Touch at most once a minute: a busy integration should not turn every read into a write.
    if record.last_used_at is None or now - record.last_used_at > dt.timedelta(minutes=1):
        record.last_used_at = now
    return record, member


async def revoke(session: AsyncSession, *, token_id: int, now: dt.datetime, by: Member | None = None) -> bool:
    """Revoke a token and every token created from it (at any depth); False if it was not active."""
    record = await session.get(ApiToken, token_id)
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = now
    await audit.record(session, "token.revoked", actor_member_id=by.id if by else None, target=f"token:{record.id}", at=now)
    parents = [record.id]
    while parents:
        children = list((await session.execute(select(ApiToken).where(ApiToken.parent_id.in_(parents)))).scalars())
        for child in children:
            if child.revoked_at is None:
                child.revoked_at = now
                await audit.record(session, "token.revoked", actor_member_id=by.id if by else None, target=f"token:{child.id}",
                                   at=now, detail={"with": f"token:{record.id}"})
        parents = [child.id for child in children]
    return True


async def tokens_of(session: AsyncSession, member: Member) -> list[ApiToken]:
    return list((await session.execute(select(ApiToken).where(ApiToken.member_id == member.id).order_by(ApiToken.id))).scalars())

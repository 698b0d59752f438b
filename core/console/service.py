"""Signing in to the web console without a password.

A secretary or committee member asks the bot for «🖥 Mở trang quản lý» and gets a one-time link,
valid `LINK_TTL`; opening it (and pressing the button on the page, so a messenger's link preview
cannot spend it) starts a browser session. In Telegram the console also opens as a Mini App: the
`initData` Telegram hands the page is checked with the bot token (Telegram's HMAC rules) instead.

Links and sessions are random secrets stored only as SHA-256 hashes. A session ends after
`SESSION_IDLE` without a request, at `SESSION_LIFETIME` whatever happens, when signed out, or
when its holder signs out everywhere. Who may do what once signed in is `Actor`'s business, as
everywhere else: this module only says who the browser is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.console.models import ConsoleLoginLink, ConsoleSession
from core.crypto import hash_secret_token
from core.errors import InvalidInput, PermissionDenied
from core.orgs.models import Member
from core.orgs.service import Actor, load_actor, member_by_platform_user

LINK_TTL = dt.timedelta(minutes=10)
SESSION_IDLE = dt.timedelta(minutes=30)
SESSION_LIFETIME = dt.timedelta(hours=12)
WEBAPP_MAX_AGE = dt.timedelta(hours=1)  # Telegram's initData older than this is not taken
LINK_PATH = "/console/login/"


class SignInRefused(InvalidInput):
    """The link or the Mini App data does not sign anyone in; the message says why, politely."""

    status = 403
    code = "sign_in_refused"


@dataclass(frozen=True)
class IssuedSession:
    token: str
    record: ConsoleSession


def may_use_console(actor: Actor) -> bool:
    """The console is a desk for those who lead a cell or sit on a committee."""
    return actor.is_manager


def login_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{LINK_PATH}{token}"


async def issue_login_link(session: AsyncSession, actor: Actor, *, now: dt.datetime, platform: str = "telegram") -> str:
    """A new one-time sign-in token for `actor` (the bot builds the link with `login_url`)."""
    if not may_use_console(actor):
        raise PermissionDenied(texts.console.MANAGERS_ONLY)
    token = secrets.token_urlsafe(32)
    session.add(ConsoleLoginLink(member_id=actor.member.id, token_hash=hash_secret_token(token), created_at=now,
                                 expires_at=now + LINK_TTL, platform=platform))
    await audit.record(session, "console.link.issued", actor_member_id=actor.member.id, org_id=actor.member.org_id,
                       actor_platform_user=f"{platform}", target=f"member:{actor.member.id}", at=now)
    return token


async def peek_login_link(session: AsyncSession, token: str, *, now: dt.datetime) -> ConsoleLoginLink:
    """The link behind `token` if it can still sign in (nothing is changed); SignInRefused otherwise."""
    link = (await session.execute(select(ConsoleLoginLink).where(ConsoleLoginLink.token_hash == hash_secret_token(token)))).scalar_one_or_none()
    if link is None:
        raise SignInRefused(texts.console.LINK_INVALID)
    if link.used_at is not None:
        raise SignInRefused(texts.console.LINK_USED)
    if link.expires_at <= now:
        raise SignInRefused(texts.console.LINK_EXPIRED)
    return link


async def redeem_login_link(session: AsyncSession, token: str, *, now: dt.datetime) -> IssuedSession:
    """Spend the link (once: the update only succeeds for the first caller) and start a session."""
    try:
        link = await peek_login_link(session, token, now=now)
    except SignInRefused as refused:
        await audit.record(session, "console.signin", outcome="refused", detail={"reason": refused.message[:60]}, at=now)
        raise
    spent = await session.execute(
        update(ConsoleLoginLink).where(ConsoleLoginLink.id == link.id, ConsoleLoginLink.used_at.is_(None)).values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise SignInRefused(texts.console.LINK_USED)
    member = await session.get(Member, link.member_id)
    return await _start(session, member, now=now, via="link")


async def _start(session: AsyncSession, member: Member | None, *, now: dt.datetime, via: str) -> IssuedSession:
    if member is None or not member.active:
        raise SignInRefused(texts.console.LINK_INVALID)
    actor = await load_actor(session, member)
    if not may_use_console(actor):
        raise SignInRefused(texts.console.MANAGERS_ONLY)
    token = secrets.token_urlsafe(32)
    record = ConsoleSession(member_id=member.id, token_hash=hash_secret_token(token), created_at=now, last_seen_at=now,
                            expires_at=now + SESSION_LIFETIME, via=via)
    session.add(record)
    await session.flush()
    await audit.record(session, "console.signin", actor_member_id=member.id, org_id=member.org_id, target=f"console_session:{record.id}",
                       detail={"via": via}, at=now)
    return IssuedSession(token=token, record=record)


async def authenticate(session: AsyncSession, token: str | None, *, now: dt.datetime) -> tuple[ConsoleSession, Member] | None:
    """The live session behind a browser's cookie and its member, or None (unknown, idle, expired, signed out)."""
    if not token:
        return None
    record = (await session.execute(select(ConsoleSession).where(ConsoleSession.token_hash == hash_secret_token(token)))).scalar_one_or_none()
    if record is None or record.revoked_at is not None or record.expires_at <= now or record.last_seen_at + SESSION_IDLE <= now:
        return None
    member = await session.get(Member, record.member_id)
    if member is None or not member.active:
        return None
    if now - record.last_seen_at > dt.timedelta(minutes=1):  # not a write on every request
        record.last_seen_at = now
    return record, member


async def sign_out(session: AsyncSession, record: ConsoleSession, *, now: dt.datetime) -> None:
    record.revoked_at = now
    await audit.record(session, "console.signout", actor_member_id=record.member_id, target=f"console_session:{record.id}", at=now)


async def sign_out_everywhere(session: AsyncSession, member_id: int, *, now: dt.datetime) -> int:
    """End every live session of the member (a phone lost, a shared computer); how many ended."""
    ended = await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.member_id == member_id, ConsoleSession.revoked_at.is_(None), ConsoleSession.expires_at > now,
               ConsoleSession.last_seen_at > now - SESSION_IDLE)
        .values(revoked_at=now)
    )
    count = int(ended.rowcount or 0)  # type: ignore[attr-defined]
    await audit.record(session, "console.signout_all", actor_member_id=member_id, target=f"member:{member_id}", detail={"sessions": count}, at=now)
    return count


def csrf_token(secret: bytes, session_token: str) -> str:
    """The form token of a session: bound to it, so a token read from one session is no use in another."""
    return hmac.new(secret, b"console-csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, session_token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(secret, session_token), given or "")


# ---------------------------------------------------------------- Telegram Mini App


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    auth_date: dt.datetime


def verify_webapp_init_data(init_data: str, *, bot_token: str, now: dt.datetime, max_age: dt.timedelta = WEBAPP_MAX_AGE) -> WebAppUser | None:
    """Telegram's rule for Mini App data: the `hash` field is HMAC-SHA256 of the other fields
    ("key=value" lines sorted by key, joined by "\\n") under the key HMAC-SHA256("WebAppData", bot token).
    None when it does not match, when `auth_date` is older than `max_age` (or from the future), or
    when there is no user."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    given = fields.pop("hash", None)
    if not given:
        return None
    check_string = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        return None
    try:
        auth_date = dt.datetime.fromtimestamp(int(fields["auth_date"]), tz=dt.timezone.utc)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        return None
    if not (now - max_age <= auth_date <= now + dt.timedelta(minutes=5)):
        return None
    return WebAppUser(id=user_id, first_name=str(user.get("first_name", "")), auth_date=auth_date)


async def sign_in_with_webapp(session: AsyncSession, init_data: str, *, bot_token: str, now: dt.datetime) -> IssuedSession:
    user = verify_webapp_init_data(init_data, bot_token=bot_token, now=now)
    if user is None:
        await audit.record(session, "console.signin", outcome="refused", detail={"reason": "webapp_init_data"}, at=now)
        raise SignInRefused(texts.console.WEBAPP_INVALID)
    member = await member_by_platform_user(session, platform="telegram", platform_user_id=str(user.id))
    if member is None:
        raise SignInRefused(texts.console.WEBAPP_NOT_LINKED)
    return await _start(session, member, now=now, via="webapp")

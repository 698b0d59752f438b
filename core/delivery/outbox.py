"""Putting messages in the outbox. Call these inside the business transaction; never commit here."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
import functools
from typing import Any, cast

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, Table, Text, TextClause, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core import metrics
from core.db import among, insert_ignoring_duplicates, rows_affected
from core.delivery.models import OutboxMessage, OutboxState
from core.orgs.routing import LinkView, choose_link
from core.orgs.models import ChannelLink, Member
from core.ports import OutboundMessage


DEFAULT_PLATFORM = "telegram"


@dataclass(frozen=True)
class Recipient:
    member_id: int
    chat_id: str
    platform: str = DEFAULT_PLATFORM


@dataclass(frozen=True)
class EnqueueResult:
    queued: int  # rows newly written
    already_queued: int  # keys that existed (a repeat of the same business change)
    unlinked_member_ids: list[int]  # members with no account to send to


async def recipients_for(
    session: AsyncSession, member_ids: Sequence[int], platform: str | None = None
) -> tuple[list[Recipient], list[int]]:
    """One chat per active, linked member, and the ids of those who have none.

    Without `platform`, each member's one account chosen by `core.orgs.routing` (their
    preferred channel if linked and reachable there, else the other); with it, only accounts on
    that platform (a message that must reach one particular chat, e.g. an edit of an earlier one).
    """
    wanted = list(dict.fromkeys(member_ids))
    # One array parameter on PostgreSQL whatever the count; IN lists of 5,000 on SQLite.
    step = max(1, len(wanted)) if session.get_bind().dialect.name == "postgresql" else 5000
    rows: list[Any] = []
    for start in range(0, len(wanted), step):
        chunk = wanted[start : start + step]
        query = (
            select(
                ChannelLink.member_id, ChannelLink.platform, ChannelLink.chat_id, ChannelLink.linked_at,
                ChannelLink.unreachable_since, Member.preferred_channel,
            )
            .join(Member, Member.id == ChannelLink.member_id)
            .where(among(session, ChannelLink.member_id, chunk), Member.active)
        )
        if platform is not None:
            query = query.where(ChannelLink.platform == platform)
        rows += (await session.execute(query)).all()
    found = chats_of(rows)
    return [found[m] for m in wanted if m in found], [m for m in wanted if m not in found]


def chats_of(rows: Iterable[Sequence[Any]]) -> dict[int, Recipient]:
    """Each member's one chat (`core.orgs.routing`) from rows of (member id, platform, chat id,
    linked at, unreachable since, the member's preferred channel), one row per account; rows
    without a platform (a member read with no account, outer-joined) give none."""
    links: dict[int, list[LinkView]] = {}
    preferred: dict[int, str | None] = {}
    for member_id, link_platform, chat_id, linked_at, unreachable_since, chosen in rows:
        if link_platform is None:
            continue
        links.setdefault(member_id, []).append(
            LinkView(platform=link_platform, chat_id=chat_id, linked_at=linked_at, unreachable=unreachable_since is not None)
        )
        preferred[member_id] = chosen
    found: dict[int, Recipient] = {}
    for member_id, member_links in links.items():
        link = choose_link(member_links, preferred.get(member_id))
        if link is not None:
            found[member_id] = Recipient(member_id=member_id, chat_id=link.chat_id, platform=link.platform)
    return found


_COLUMNS = (
    "member_id", "platform", "chat_id", "kind", "source", "idempotency_key", "payload", "priority", "paid", "state", "attempts",
    "next_attempt_at", "created_at",
)


@dataclass(frozen=True)
class Queued:
    """One message for one member, for `enqueue_batch` (messages of many sources at once)."""

    member_id: int
    kind: str
    source: str
    message: OutboundMessage
    key_suffix: str = ""
    priority: int = 0
    paid: bool = False  # a paid broadcast (an urgent notice): `core.notices.paid` decides, never a caller alone


async def enqueue_batch(
    session: AsyncSession, items: Sequence[Queued], *, not_before: dt.datetime | None = None, platform: str | None = None,
    chats: Mapping[int, Recipient] | None = None,
) -> EnqueueResult:
    """Queue many messages in a few statements: one recipient look-up, multi-row inserts.

    Each (kind, source, member, suffix) key is queued at most once, ever: a repeat is a no-op.
    Each member gets one row, on the account `recipients_for` chooses (their channel), and the row
    records its platform; `platform` pins every row to that platform instead. `chats` (member id →
    `Recipient`, from `recipients_for`) saves the look-up when the caller read them already;
    members missing from it count as unlinked.
    """
    if chats is None:
        recipients, unlinked = await recipients_for(session, [item.member_id for item in items], platform)
        chats = {recipient.member_id: recipient for recipient in recipients}
    else:
        unlinked = list(dict.fromkeys(item.member_id for item in items if item.member_id not in chats))
    now = dt.datetime.now(dt.timezone.utc)
    sendable = [item for item in items if item.member_id in chats]
    queued = 0
    if sendable:
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            queued = await _insert_unnest(connection, sendable, chats=chats, not_before=not_before or now, now=now)
        else:
            rows = [
                {
                    "member_id": item.member_id,
                    "platform": chats[item.member_id].platform,
                    "chat_id": chats[item.member_id].chat_id,
                    "kind": item.kind,
                    "source": item.source,
                    "idempotency_key": idempotency_key(item.kind, item.source, item.member_id, item.key_suffix),
                    "payload": item.message.to_payload(),
                    "priority": item.priority,
                    "paid": item.paid,
                    "state": OutboxState.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": not_before or now,
                    "created_at": now,
                }
                for item in sendable
            ]
            statement = insert_ignoring_duplicates(cast(Table, OutboxMessage.__table__), _COLUMNS, ("idempotency_key",))
            for start in range(0, len(rows), 1000):
                # Duplicates are skipped silently; the rows changed are the rows really inserted.
                queued += rows_affected(await connection.execute(statement, rows[start : start + 1000]))
    return EnqueueResult(queued=queued, already_queued=len(sendable) - queued, unlinked_member_ids=unlinked)


_PER_ROW: dict[str, Any] = {
    "member_id": BigInteger, "platform": String, "chat_id": String, "kind": String, "source": String, "idempotency_key": String,
    "payload": Text, "priority": Integer, "paid": Boolean,
}


@functools.cache
def _unnest_statement() -> TextClause:
    """Built once: a text is cached by SQLAlchemy once compiled, but building it costs too."""
    columns = list(_PER_ROW)
    selected = ", ".join(f"u.{name}::json" if name == "payload" else f"u.{name}" for name in columns)
    return text(
        f"INSERT INTO {OutboxMessage.__tablename__} ({', '.join(columns)}, state, attempts, next_attempt_at, created_at) "
        f"SELECT {selected}, :state, 0, :not_before, :now "
        f"FROM unnest({', '.join(':' + name for name in columns)}) AS u({', '.join(columns)}) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
    ).bindparams(
        *(bindparam(name, type_=postgresql.ARRAY(kind)) for name, kind in _PER_ROW.items()),
        bindparam("not_before", type_=DateTime), bindparam("now", type_=DateTime),
    )


async def _insert_unnest(
    connection: AsyncConnection, items: Sequence[Queued], *, chats: Mapping[int, Recipient],
    not_before: dt.datetime, now: dt.datetime,
) -> int:
    """PostgreSQL: INSERT … SELECT FROM unnest(one array per varying column) ON CONFLICT DO NOTHING.

    A few array parameters per 10,000 rows instead of a dozen parameters per row, and each distinct
    message serialised once: queueing 100,000 reminders costs the database's time, not Python's.
    Same semantics as the multi-row VALUES path (RETURNING counts only rows really inserted).
    """
    statement = _unnest_statement()
    payloads: dict[int, str] = {}  # by message object: many rows often share one message
    queued = 0
    for start in range(0, len(items), 10_000):
        chunk = items[start : start + 10_000]
        arrays: dict[str, Any] = {
            "member_id": [item.member_id for item in chunk],
            "platform": [chats[item.member_id].platform for item in chunk],
            "chat_id": [chats[item.member_id].chat_id for item in chunk],
            "kind": [item.kind for item in chunk],
            "source": [item.source for item in chunk],
            "idempotency_key": [idempotency_key(item.kind, item.source, item.member_id, item.key_suffix) for item in chunk],
            "payload": [
                payloads.get(id(item.message)) or payloads.setdefault(id(item.message), json.dumps(item.message.to_payload(), ensure_ascii=False))
                for item in chunk
            ],
            "priority": [item.priority for item in chunk],
            "paid": [item.paid for item in chunk],
            "state": OutboxState.PENDING.value,
            # Stored as naive UTC, like core.db.UTCDateTime.
            "not_before": not_before.astimezone(dt.timezone.utc).replace(tzinfo=None),
            "now": now.astimezone(dt.timezone.utc).replace(tzinfo=None),
        }
        queued += len((await connection.execute(statement, arrays)).all())
    return queued


# `enqueue_rows` (PostgreSQL): a row's payload is its variant's, with this number replaced by the
# row's `fill` value (e.g. the invitation id in per-member answer buttons) everywhere but in the
# text: words someone typed (a place, a cell's name) are never touched.
FILL = 918_273_645_546_372_819


async def enqueue_rows(
    connection: AsyncConnection, *, kind: str, priority: int, variants: Sequence[tuple[str, str, OutboundMessage]],
    member_ids: Sequence[int], platforms: Sequence[str], chat_ids: Sequence[str], variant_of: Sequence[int],
    fills: Sequence[int], not_before: dt.datetime,
) -> None:
    """PostgreSQL: queue many rows of few distinct messages in one statement, nothing per row in Python.

    `variants` are (source, key suffix, message); row i goes to `member_ids[i]` on its account
    (`platforms[i]`, `chat_ids[i]`, as `recipients_for` or `ROUTE_SQL` chose it) with variant
    `variant_of[i]` (0-based), its message's payload serialised once and `FILL` in it (but not in
    its text) replaced by `fills[i]`. Same rows, keys and payloads (byte for byte) as
    `enqueue_batch`; a key already queued is a no-op.
    """
    if not member_ids:
        return
    texts, rests = [], []
    for _, _, message in variants:
        payload = message.to_payload()
        # {"text": …, the rest}: the text's JSON as is, the rest's with the fill (see _INSERT_ROWS).
        texts.append(json.dumps({"text": payload.pop("text")}, ensure_ascii=False)[:-1])
        rests.append(json.dumps(payload, ensure_ascii=False)[1:])
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # naive UTC, like core.db.UTCDateTime
    await connection.execute(_INSERT_ROWS, {
        "kind": kind, "priority": priority, "state": OutboxState.PENDING.value, "fill": str(FILL),
        "not_before": not_before.astimezone(dt.timezone.utc).replace(tzinfo=None), "now": now,
        "member_ids": list(member_ids), "platforms": list(platforms), "chat_ids": list(chat_ids),
        "variants": [index + 1 for index in variant_of] if variant_of else [], "fills": list(fills),
        "sources": [source for source, _, _ in variants], "suffixes": [suffix for _, suffix, _ in variants], "texts": texts, "rests": rests,
    })


# The idempotency key as `idempotency_key` builds it.
_INSERT_ROWS = text(
    f"INSERT INTO {OutboxMessage.__tablename__} (member_id, platform, chat_id, kind, source, idempotency_key, payload, "
    "priority, paid, state, attempts, next_attempt_at, created_at) "
    "SELECT u.member_id, u.platform, u.chat_id, CAST(:kind AS text), v.source, "
    "CAST(:kind AS text) || '|' || v.source || '|' || u.member_id::text || CASE WHEN v.suffix = '' THEN '' ELSE '|' || v.suffix END, "
    "CAST(v.text || ', ' || replace(v.rest, CAST(:fill AS text), u.fill::text) AS json), CAST(:priority AS int), false, "
    "CAST(:state AS text), 0, "
    ":not_before, :now "
    "FROM unnest(CAST(:member_ids AS bigint[]), CAST(:platforms AS text[]), CAST(:chat_ids AS text[]), "
    "CAST(:variants AS int[]), CAST(:fills AS bigint[])) AS u(member_id, platform, chat_id, variant, fill) "
    "JOIN unnest(CAST(:sources AS text[]), CAST(:suffixes AS text[]), CAST(:texts AS text[]), CAST(:rests AS text[])) "
    "WITH ORDINALITY AS v(source, suffix, text, rest, n) ON v.n = u.variant "
    "ON CONFLICT (idempotency_key) DO NOTHING"
).bindparams(bindparam("not_before", type_=DateTime), bindparam("now", type_=DateTime))


# PostgreSQL: `LEFT JOIN LATERAL (ROUTE_SQL) AS link ON true` gives, per row with a `member_id`
# column in scope as `{member}`, the one account `recipients_for` would choose (`platform`,
# `chat_id`; none for an inactive or unlinked member): `core.orgs.routing.choose_link` in SQL —
# reachable first, then the chosen channel (preferred if linked there, else the latest linked),
# then by platform name. tests/integration/test_routing_sql.py holds the two to the same answers.
ROUTE_SQL = """
    SELECT cl.platform, cl.chat_id FROM channel_links cl JOIN members lm ON lm.id = cl.member_id AND lm.active
    WHERE cl.member_id = {member}
    ORDER BY cl.unreachable_since IS NOT NULL,
        cl.platform <> COALESCE(
            (SELECT p.platform FROM channel_links p WHERE p.member_id = cl.member_id AND p.platform = lm.preferred_channel),
            (SELECT q.platform FROM channel_links q WHERE q.member_id = cl.member_id
             ORDER BY q.linked_at DESC NULLS LAST, q.platform COLLATE "C" DESC LIMIT 1)),
        cl.platform COLLATE "C"
    LIMIT 1"""


async def enqueue_many(
    session: AsyncSession,
    *,
    member_ids: Sequence[int],
    kind: str,
    source: str,
    message: OutboundMessage | dict[int, OutboundMessage],
    key_suffix: str = "",
    not_before: dt.datetime | None = None,
    priority: int = 0,
    platform: str | None = None,
    paid: bool = False,
    chats: Mapping[int, Recipient] | None = None,
) -> EnqueueResult:
    """Queue one message per linked member of one source, on each member's channel (or on `platform`).
    `message` is one for all, or one per member id. `paid` marks the rows as a paid broadcast.
    `chats`: the members' chats read already (`chats_of`), see `enqueue_batch`."""
    items = [
        Queued(member_id=member_id, kind=kind, source=source, key_suffix=key_suffix, priority=priority, paid=paid,
               message=message[member_id] if isinstance(message, dict) else message)
        for member_id in dict.fromkeys(member_ids)
    ]
    return await enqueue_batch(session, items, not_before=not_before, platform=platform, chats=chats)


async def enqueue(
    session: AsyncSession,
    *,
    member_id: int,
    kind: str,
    source: str,
    message: OutboundMessage,
    key_suffix: str = "",
    not_before: dt.datetime | None = None,
    priority: int = 0,
    platform: str | None = None,
) -> bool:
    """Queue one message; False when the member has no linked account or it was queued already."""
    result = await enqueue_many(
        session, member_ids=[member_id], kind=kind, source=source, message=message, key_suffix=key_suffix,
        not_before=not_before, priority=priority, platform=platform,
    )
    return result.queued == 1


def idempotency_key(kind: str, source: str, member_id: int, suffix: str = "") -> str:
    return f"{kind}|{source}|{member_id}" + (f"|{suffix}" if suffix else "")


async def cancel_pending(session: AsyncSession, *, source: str, kind: str | None = None) -> int:
    """Cancel what has not been sent yet for a source (a cancelled broadcast, a cancelled meeting).

    Rows a worker has claimed (`sending`) are cancelled too: the worker drops them at its next lease
    renewal, within about a second. One already on its way to the platform is recorded as sent.
    """
    unsent = OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING])
    query = update(OutboxMessage).where(OutboxMessage.source == source, unsent)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    result = await session.execute(query.values(state=OutboxState.CANCELLED).execution_options(synchronize_session=False))
    return rows_affected(result)


async def state_counts(session: AsyncSession, *, source: str, kind: str | None = None) -> dict[OutboxState, int]:
    query = select(OutboxMessage.state, func.count(OutboxMessage.id)).where(OutboxMessage.source == source)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    rows = await session.execute(query.group_by(OutboxMessage.state))
    return {state: count for state, count in rows}


async def observe_depth(session: AsyncSession) -> None:
    """Set the outbox gauge from the table itself, so every instance reports the same truth."""
    rows = (await session.execute(select(OutboxMessage.state, func.count(OutboxMessage.id)).group_by(OutboxMessage.state))).all()
    counts = {OutboxState(state).value: int(count) for state, count in rows}
    for state in OutboxState:
        metrics.OUTBOX_DEPTH.labels(state=state.value).set(counts.get(state.value, 0))

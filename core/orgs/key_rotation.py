"""Re-encrypting members' citizen IDs and phones under a new key (`sotay keys rotate`).

Online and resumable: rows are walked in id order in small batches, each batch its own
transaction (the caller commits). A row is rewritten only if it still holds the ciphertext that was
read (compare-and-set), so an edit made meanwhile by the bot or the API is never overwritten; such
a row is picked up by the next pass if it is still under an old key. A row already under the
primary key is skipped, so running again after an interruption only does what is left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import audit
from core.crypto import DecryptionError, FieldCipher
from core.db import transaction
from core.orgs.models import Member
from core.orgs.service import CITIZEN_ID, PHONE

LEGACY = "v1"  # ciphertexts written before key ids existed


@dataclass
class RotationBatch:
    last_id: int | None  # the last member id looked at; None when there was nothing after `after_id`
    scanned: int = 0
    rotated: int = 0
    changed_meanwhile: int = 0  # edited by someone else between the read and the write: next pass
    unreadable: list[int] = field(default_factory=list)  # member ids no configured key opens


async def rotate_batch(session: AsyncSession, cipher: FieldCipher, *, after_id: int, limit: int = 500) -> RotationBatch:
    """Re-encrypt the members after `after_id` (at most `limit` looked at) whose identifiers are not
    under the primary key, recomputing their look-up hashes. Does not commit."""
    rows = (
        await session.execute(
            select(Member.id, Member.citizen_id_encrypted, Member.phone_encrypted)
            .where(Member.id > after_id)
            .order_by(Member.id)
            .limit(limit)
        )
    ).tuples().all()
    batch = RotationBatch(last_id=rows[-1][0] if rows else None, scanned=len(rows))
    for member_id, citizen_blob, phone_blob in rows:
        if cipher.is_current(citizen_blob) and cipher.is_current(phone_blob):
            continue
        try:
            citizen_id, citizen_new = cipher.reencrypt(citizen_blob, context=CITIZEN_ID)
            phone, phone_new = cipher.reencrypt(phone_blob, context=PHONE) if phone_blob is not None else (None, None)
        except DecryptionError:
            batch.unreadable.append(member_id)
            continue
        unchanged = [Member.id == member_id, Member.citizen_id_encrypted == citizen_blob,
                     Member.phone_encrypted.is_(None) if phone_blob is None else Member.phone_encrypted == phone_blob]
        result = await session.execute(
            update(Member)
            .where(*unchanged)
            .values(
                citizen_id_encrypted=citizen_new,
                citizen_id_hash=cipher.lookup_hash(citizen_id, context=CITIZEN_ID),
                phone_encrypted=phone_new,
                phone_hash=cipher.lookup_hash(phone, context=PHONE) if phone is not None else None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            batch.rotated += 1
        else:
            batch.changed_meanwhile += 1
    return batch


@dataclass
class RotationReport:
    key_id: str
    passes: int = 0
    scanned: int = 0
    rotated: int = 0
    changed_meanwhile: int = 0
    unreadable: list[int] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.unreadable and self.changed_meanwhile == 0


async def rotate_keys(
    factory: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    *,
    start_after: int = 0,
    batch: int = 500,
    max_passes: int = 3,
    on_batch: Callable[[RotationBatch], None] | None = None,
) -> RotationReport:
    """Walk every member, a batch per transaction, until a pass finds nothing it could not finish
    (rows edited meanwhile are retried by the next pass, at most `max_passes`). Audited at the start
    and at the end with counts and the primary key's id, never values."""
    report = RotationReport(key_id=cipher.key_id)
    async with transaction(factory) as session:
        await audit.record(session, "keys.rotate", outcome="started", target=cipher.key_id, detail={"after_id": start_after})
    after = start_after
    for _ in range(max_passes):
        report.passes += 1
        retry = 0
        while True:
            async with transaction(factory) as session:
                done = await rotate_batch(session, cipher, after_id=after, limit=batch)
            if done.last_id is None:
                break
            after = done.last_id
            report.scanned += done.scanned
            report.rotated += done.rotated
            retry += done.changed_meanwhile
            report.unreadable.extend(i for i in done.unreadable if i not in report.unreadable)
            if on_batch is not None:
                on_batch(done)
        report.changed_meanwhile = retry
        if retry == 0:
            break
        after = 0
    detail = {"passes": report.passes, "scanned": report.scanned, "rotated": report.rotated,
              "changed_meanwhile": report.changed_meanwhile, "unreadable_ids": report.unreadable[:100]}
    async with transaction(factory) as session:
        await audit.record(session, "keys.rotate", outcome="ok" if report.complete else "incomplete", target=cipher.key_id, detail=detail)
    return report


async def key_usage(session: AsyncSession, cipher: FieldCipher, *, batch: int = 2000) -> Counter[str]:
    """How many stored values each key holds: key id (hex) → count; `LEGACY` for version-1 ones."""
    usage: Counter[str] = Counter()
    after = 0
    while True:
        rows = (
            await session.execute(
                select(Member.id, Member.citizen_id_encrypted, Member.phone_encrypted)
                .where(Member.id > after).order_by(Member.id).limit(batch)
            )
        ).tuples().all()
        if not rows:
            return usage
        for _, citizen_blob, phone_blob in rows:
            for blob in (citizen_blob, phone_blob):
                if blob is not None:
                    usage[cipher.key_id_of(blob) or LEGACY] += 1
        after = rows[-1][0]

"""Votes in the largest cell: `python -m bench.votes [--members 150] [--database-url URL] [--concurrency 10]`

Creates a scratch PostgreSQL database next to `--database-url` (default: $SOTAY_TEST_DATABASE_URL,
else the local server), a cell of `--members` official members, and for an open and a secret vote:

- `cast_*_ms`: one ballot per member, each in its own transaction, one after another (median, p95);
- `concurrent_*_s`: the same number of ballots sent at once from `--concurrency` sessions (casting
  locks the vote row, so they queue; the count must come out exact);
- `close_*_ms`: closing and counting (the secret one also erases receipts and rewrites the ballots).

Prints one JSON object. First run (shared 2-core machine, 8 helpers busy, PostgreSQL 15): a ballot 62 ms median
(open) and 92 ms (secret), each with its own session, actor lookup and commit; closing 150 ballots 0.1–0.45 s;
150 ballots at once from 10 sessions 8.5–10.8 s (they queue on the vote row), counts exact.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import time
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.crypto import FieldCipher
from core.db import create_engine, create_session_factory
from core.models import metadata
from core.orgs.models import Member, OrgKind
from core.orgs.service import create_org, encrypt_personal, load_actor
from core.votes import service
from core.votes.models import BallotKind

DEFAULT_URL = os.environ.get("SOTAY_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.timezone.utc)


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


async def run(url: str, members: int, concurrency: int) -> dict[str, float]:
    base, _, _ = url.rpartition("/")
    scratch = f"bench_votes_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    engine = create_engine(f"{base}/{scratch}")
    result: dict[str, float] = {"members": members}
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        factory = create_session_factory(engine)
        cipher = FieldCipher("bench-secret-key-0123456789abcdef0123456789")
        async with factory() as session:
            province = await create_org(session, name="Tỉnh", kind=OrgKind.COMMITTEE, parent=None)
            cell = await create_org(session, name="Chi bộ lớn", kind=OrgKind.CELL, parent=province)
            people = []
            for n in range(members):
                member = Member(org_id=cell.id, full_name=f"Đảng viên {n}", date_of_birth=dt.date(1950, 1, 1), gender="male",
                                joined_on=dt.date(1980, 1, 1), official_on=dt.date(1981, 1, 1), card_number=f"B{n:07d}")
                encrypt_personal(member, cipher, citizen_id=f"0019{n:08d}", phone=None)
                session.add(member)
                people.append(member)
            await session.flush()
            from core.orgs.models import OrgRole, RoleKind

            session.add(OrgRole(member_id=people[0].id, org_id=cell.id, role=RoleKind.SECRETARY))
            await session.commit()
            ids = [m.id for m in people]
            cell_id = cell.id
        for kind in (BallotKind.OPEN, BallotKind.SECRET):
            name = kind.value
            for mode in ("sequential", "concurrent"):
                async with factory() as session:
                    secretary = await load_actor(session, await session.get(Member, ids[0]))
                    opened = await service.open_vote(session, actor=secretary, cell_id=cell_id, question=f"{name} {mode}", now=NOW, kind=kind)
                    await session.commit()
                    vote_id = opened.vote.id

                async def cast(member_id: int, option: int, vote_id: int = vote_id) -> float:
                    started = time.perf_counter()
                    async with factory() as session:
                        actor = await load_actor(session, await session.get(Member, member_id))
                        await service.cast(session, actor=actor, vote_id=vote_id, option=option, cipher=cipher, now=NOW)
                        await session.commit()
                    return (time.perf_counter() - started) * 1000

                if mode == "sequential":
                    timings = [await cast(m, i % 3) for i, m in enumerate(ids)]
                    result[f"cast_{name}_median_ms"] = round(statistics.median(timings), 2)
                    result[f"cast_{name}_p95_ms"] = round(_p95(timings), 2)
                else:
                    gate = asyncio.Semaphore(concurrency)

                    async def limited(member_id: int, option: int, gate: asyncio.Semaphore = gate) -> float:
                        async with gate:
                            return await cast(member_id, option)

                    started = time.perf_counter()
                    await asyncio.gather(*(limited(m, i % 3) for i, m in enumerate(ids)))
                    result[f"concurrent_{name}_s"] = round(time.perf_counter() - started, 3)
                started = time.perf_counter()
                async with factory() as session:
                    secretary = await load_actor(session, await session.get(Member, ids[0]))
                    vote = await service.close_vote(session, actor=secretary, vote_id=vote_id, now=NOW)
                    await session.commit()
                    expected = [len(ids[0::3]), len(ids[1::3]), len(ids[2::3])]
                    assert vote.counts == expected and vote.voted_count == members, (vote.counts, expected)
                result[f"close_{name}_{mode}_ms"] = round((time.perf_counter() - started) * 1000, 2)
    finally:
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        await admin.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.database_url, args.members, args.concurrency)), ensure_ascii=False))


if __name__ == "__main__":
    main()

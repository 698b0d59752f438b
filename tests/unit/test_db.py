"""Transactions at the edges must be real transactions on both databases."""

from sqlalchemy import func, select

from core.orgs.models import Org, OrgKind


async def test_a_released_savepoint_does_not_commit_the_outer_transaction(session_factory) -> None:
    async with session_factory() as session:
        # The savepoint is the transaction's first statement: on SQLite this used to open (and then
        # commit) the whole transaction.
        async with session.begin_nested():
            session.add(Org(name="Chi bộ tạm", kind=OrgKind.CELL, path="/x/"))
        session.add(Org(name="Chi bộ tạm 2", kind=OrgKind.CELL, path="/y/"))
        await session.flush()
        async with session_factory() as other:
            assert await other.scalar(select(func.count(Org.id))) == 0  # nothing visible before commit
        await session.rollback()
    async with session_factory() as session:
        assert await session.scalar(select(func.count(Org.id))) == 0


async def test_commit_makes_everything_visible_together(session_factory) -> None:
    async with session_factory() as session:
        async with session.begin_nested():
            session.add(Org(name="A", kind=OrgKind.CELL, path="/a/"))
        session.add(Org(name="B", kind=OrgKind.CELL, path="/b/"))
        await session.commit()
    async with session_factory() as session:
        assert await session.scalar(select(func.count(Org.id))) == 2

"""A commune with feedback helpers: actors by member, and a quick way to send an item."""

from __future__ import annotations

import pytest

from core.feedback import service
from core.feedback.models import FeedbackItem, FeedbackKind
from core.orgs.models import Member
from core.orgs.service import Actor, load_actor
from tests.factories import Commune, make_commune


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    return await make_commune(session, cipher, linked=True)


@pytest.fixture
def actor_of(session):  # type: ignore[no-untyped-def]
    async def load(member: Member) -> Actor:
        return await load_actor(session, member)

    return load


@pytest.fixture
def send(session, actor_of, clock):  # type: ignore[no-untyped-def]
    async def submit(
        member: Member, text: str = "Đề nghị sửa đường vào thôn", *, to_parent: bool = False,
        kind: FeedbackKind = FeedbackKind.COMMENT, **content: object,
    ) -> FeedbackItem:
        clock.advance(seconds=5)  # one member's items are never closer than service.FLOOD_WINDOW
        actor = await actor_of(member)
        org_id = actor.cell.parent_id if to_parent else actor.cell.id
        assert org_id is not None
        return await service.submit(
            session, actor=actor, kind=kind, org_id=org_id, content=service.Content(text=text, **content), now=clock.now()  # type: ignore[arg-type]
        )

    return submit

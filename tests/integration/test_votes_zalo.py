"""A ballot on Zalo: the same buttons arrive as a numbered list; a typed digit votes, another changes it."""

from __future__ import annotations

from sqlalchemy import select

from core.orgs.service import load_actor
from core.ports import OutboundMessage
from core.votes import service
from core.votes.models import OpenBallot
from tests.integration.test_zalo_bot import harness, linked_on_zalo, media, phones, zalo_sandbox  # noqa: F401
from tests.integration.test_votes_bot import outbox


async def test_a_member_on_zalo_votes_with_a_digit_and_changes_it(phones, harness, session, cipher, clock) -> None:  # noqa: F811
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    secretary = await load_actor(session, commune.cells[0].secretary)
    opened = await service.open_vote(session, actor=secretary, cell_id=commune.cells[0].org.id, question="Thông qua quy chế", now=clock.now())
    await session.commit()
    [row] = [r for r in await outbox(session, service.KIND_BALLOT) if r.member_id == member.id]
    shown = await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    assert "1. ✅ Tán thành" in shown[-1] and "2. ❌ Không tán thành" in shown[-1] and "3. ⚪ Không biểu quyết" in shown[-1]
    await phones.say(lan, "2")
    query = select(OpenBallot.option).where(OpenBallot.vote_id == opened.vote.id, OpenBallot.member_id == member.id)
    assert (await session.execute(query.execution_options(populate_existing=True))).scalar_one() == 1
    answer = await phones.say(lan, "1")
    assert any("Đã đổi thành" in text for text in answer), answer
    session.expire_all()
    assert (await session.execute(query)).scalar_one() == 0


async def test_a_committee_member_on_zalo_opens_the_years_review_by_typing_numbers(phones, harness, session, cipher, clock) -> None:  # noqa: F811
    from core import texts
    from core.orgs.linking import create_invite
    from core.votes import review
    from tests.factories import make_commune
    from tests.integration.test_zalo_bot import number_of

    T = texts.votes
    commune = await make_commune(session, cipher, linked=True)
    invite = await create_invite(session, member=commune.committee_member, now=clock.now())
    await session.commit()
    chat = await phones.person("Ủy viên Đảng ủy xã")
    assert commune.committee_member.full_name in (await phones.say(chat, invite.code))[0]
    menu = (await phones.say(chat, "biểu quyết"))[-1]
    home = (await phones.say(chat, number_of(menu, T.BTN_REVIEW)))[-1]
    presets = (await phones.say(chat, number_of(home, "Mở đánh giá năm 2026")))[-1]
    assert "1. Tự kiểm điểm 7 ngày" in presets, presets
    confirm = (await phones.say(chat, "1"))[-1]
    assert "Hạn tự kiểm điểm" in confirm and await outbox(session, review.KIND_REVIEW_OPENED) == []
    done = (await phones.say(chat, number_of(confirm, T.BTN_OPEN_CONFIRM)))[-1]
    assert "Đã mở đánh giá, xếp loại năm 2026 cho 13 đảng viên" in done, done
    assert len(await outbox(session, review.KIND_REVIEW_OPENED)) == 13

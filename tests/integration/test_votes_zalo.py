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


async def test_on_zalo_the_member_under_review_is_refused_and_the_committee_reads_the_annual_report(  # noqa: F811
    phones, harness, session, cipher, clock  # noqa: F811
) -> None:
    import datetime as dt

    from core import texts
    from core.orgs.linking import create_invite
    from core.votes import review
    from core.votes.models import ReviewEntry
    from tests.integration.test_zalo_bot import number_of

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    entry = (await session.execute(select(ReviewEntry).where(ReviewEntry.member_id == member.id))).scalar_one()
    secretary = await load_actor(session, commune.cells[0].secretary)
    opened = await review.open_rating_vote(session, actor=secretary, entry_id=entry.id, rating=None, now=now)
    await session.commit()
    assert not [r for r in await outbox(session, service.KIND_BALLOT) if r.member_id == member.id]  # no ballot about herself
    # Her cell's open votes through 🗳 Biểu quyết: the ballot screen, and her digit is refused politely.
    menu = (await phones.say(lan, "biểu quyết"))[-1]
    assert "Đề nghị xếp loại" in menu, menu
    if "1. ✅ Tán thành" not in menu:
        menu = (await phones.say(lan, "1"))[-1]
    answer = await phones.say(lan, "1")
    assert any(texts.votes.OWN_RATING_REFUSED in text for text in answer), answer
    query = select(OpenBallot).where(OpenBallot.vote_id == opened.vote.id)
    assert (await session.execute(query.execution_options(populate_existing=True))).scalars().all() == []

    # The commune's committee member on Zalo: 📈 figures → 📘 the annual report, by numbers.
    invite = await create_invite(session, member=commune.committee_member, now=clock.now())
    await session.commit()
    chat = await phones.person("Ủy viên Đảng ủy xã")
    await phones.say(chat, invite.code)
    figures = (await phones.say(chat, "/solieu"))[-1]
    if texts.reports.BTN_ANNUAL not in figures:  # more than one organisation: pick the commune first
        figures = (await phones.say(chat, number_of(figures, commune.commune.name)))[-1]
    annual = (await phones.say(chat, number_of(figures, texts.reports.BTN_ANNUAL)))[-1]
    assert "Báo cáo năm 2026" in annual and "13 ĐV được đánh giá" in annual and "<b>" not in annual, annual

"""`sotay demo`'s seeded content: made through the core services, consistent, and seeded once."""

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from core.delivery.models import OutboxMessage, OutboxState
from core.feedback import service as feedback
from core.meetings import service as meetings
from core.meetings import stats
from core.meetings.models import Answer, Attendance, Invitation, Meeting, MeetingStatus
from core.orgs.models import Org
from core.orgs.service import load_actor, member_by_card
from core.resolutions import study
from core.resolutions.models import Document, DocumentState, StudyCampaign
from sotay import demo_content, demo_data
from voice.engines import EspeakSpeaker
from voice.service import VoiceRenderer


async def _counts(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async def count(model) -> int:  # type: ignore[no-untyped-def]
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    return {
        "documents": await count(Document), "campaigns": await count(StudyCampaign), "meetings": await count(Meeting),
        "outbox": await count(OutboxMessage), "attendance": await count(Attendance),
        "feedback": await count(feedback.FeedbackItem),
    }


async def test_demo_content_is_seeded_through_the_services_once(session_factory, cipher, clock, tmp_path: Path) -> None:
    async with session_factory() as session:
        await demo_data.seed(session, cipher)
        await session.commit()
    renderer = VoiceRenderer(EspeakSpeaker(), tmp_path / "audio")
    now = clock.now()
    report = await demo_content.seed_content(session_factory, renderer=renderer, now=now)
    assert len(report.done) == 7, report.done

    async with session_factory() as session:
        # The resolution reached every member who receives notices, with its voice note on disk.
        document = (await session.execute(select(Document))).scalar_one()
        assert document.state == DocumentState.PUBLISHED and document.code == "12-KH/ĐU"
        rows = list((await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"document:{document.id}"))).scalars())
        voice = [row for row in rows if (row.payload.get("attachment") or {}).get("kind") == "voice"]
        hung = await member_by_card(session, "DEMO-008")  # Trần Văn Hùng, 74: text and voice
        assert {row.member_id for row in voice} >= {hung.id}
        assert Path(voice[0].payload["attachment"]["path"]).stat().st_size > 10_000
        publisher = await member_by_card(session, demo_content.PUBLISHER)
        assert publisher.id not in {row.member_id for row in rows}
        assert all(row.state == OutboxState.PENDING for row in rows)

        # Study: figures are not empty.
        campaign = (await session.execute(select(StudyCampaign))).scalar_one()
        results = await study.campaign_results(session, actor=await load_actor(session, publisher), campaign_id=campaign.id)
        assert results.totals.studied == len(demo_content.STUDIED)
        assert results.totals.quiz_done == 4 and results.totals.quiz_correct == 7

        for story in demo_content.STORIES:
            cell = (await session.execute(select(Org).where(Org.name == story.cell))).scalar_one()
            secretary = await load_actor(session, await member_by_card(session, demo_content.SECRETARIES[story.cell]))
            held = list((await session.execute(
                select(Meeting).where(Meeting.cell_id == cell.id, Meeting.status == MeetingStatus.HELD).order_by(Meeting.starts_at)
            )).scalars())
            assert len(held) == len(story.past) == 3
            assert now - dt.timedelta(days=125) < held[0].starts_at and held[-1].starts_at < now - dt.timedelta(days=14)
            assert held[-1].conclusions_text
            # Their messages are history: none of them will reach anyone today.
            past_states = set((await session.execute(
                select(OutboxMessage.state).where(OutboxMessage.source.in_([meetings.source_of(m.id) for m in held]))
            )).scalars())
            assert past_states == {OutboxState.CANCELLED}
            # 📊 Thống kê: three months with figures.
            start, end = stats.default_period(now)
            period = await stats.period_stats(session, actor=secretary, org_id=cell.id, start=start, end=end)
            assert period.totals.meetings == 3 and 0 < period.totals.present < period.totals.invited
            assert len([month for month in period.months if month.meetings]) == 3

            upcoming = (await session.execute(select(Meeting).where(Meeting.cell_id == cell.id, Meeting.status == MeetingStatus.SCHEDULED))).scalar_one()
            assert dt.timedelta(days=2) < upcoming.starts_at - now < dt.timedelta(days=4)
            answers = dict((await session.execute(select(Invitation.member_id, Invitation.answer).where(Invitation.meeting_id == upcoming.id))).all())
            asker = await member_by_card(session, story.asks_leave.card)
            assert answers[asker.id] == Answer.ABSENCE_REQUESTED
            assert list(answers.values()).count(Answer.ATTENDING) == len(story.attending)
            # The secretary has the request to decide, and the invitations are on their way.
            request = (await session.execute(select(OutboxMessage).where(
                OutboxMessage.source == meetings.source_of(upcoming.id), OutboxMessage.kind == meetings.KIND_ABSENCE_REQUEST,
                OutboxMessage.member_id == secretary.member.id,
            ))).scalar_one()
            assert request.state == OutboxState.PENDING
            invitations = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.source == meetings.source_of(upcoming.id), OutboxMessage.kind == meetings.KIND_INVITATION,
            ))
            assert invitations == len([p for p in demo_data.PEOPLE if p.cell == story.cell and p.linked])  # exempt members are invited too (not obliged)

        east = await load_actor(session, publisher)
        assert await feedback.waiting_count(session, actor=east) == 1
        before = await _counts(session)

    # A second start the same day seeds nothing; one a week later plans the next meetings only.
    again = await demo_content.seed_content(session_factory, renderer=renderer, now=now + dt.timedelta(hours=2))
    assert again.done == []
    async with session_factory() as session:
        assert await _counts(session) == before
    later = await demo_content.seed_content(session_factory, renderer=renderer, now=now + dt.timedelta(days=7))
    assert [line.split(" in ")[0] for line in later.done] == ["upcoming meeting", "upcoming meeting"]
    async with session_factory() as session:
        after = await _counts(session)
        assert after["meetings"] == before["meetings"] + 2
        assert {k: v for k, v in after.items() if k not in ("meetings", "outbox")} == {
            k: v for k, v in before.items() if k not in ("meetings", "outbox")
        }


async def test_a_second_start_on_the_same_data_dir_seeds_nothing_twice_and_the_bot_still_listens(tmp_path: Path) -> None:
    from core.db import create_engine, create_session_factory
    from core.orgs.models import ChannelLink, Member, ProcessedUpdate
    from sandbox.server import SandboxServer
    from sotay.demo import DEMO_BOT, DEMO_TOKEN, demo_settings, seed_demo
    from sotay.settings import Settings
    from tests.conftest import TEST_SECRET_KEY

    settings = demo_settings(Settings(demo=True, secret_key=TEST_SECRET_KEY, data_dir=tmp_path / "data"), port=0, sandbox_url="http://127.0.0.1:9")
    first = SandboxServer(bots={DEMO_TOKEN: DEMO_BOT})  # not listening: seed_demo only fills its world
    assert await seed_demo(settings, first)
    first_ids = [u["update_id"] for u in first.world.bots[DEMO_TOKEN].updates.peek(100)]
    assert len(first_ids) == len([p for p in demo_data.PEOPLE if p.linked])  # every linked member's /start

    # What the bot did meanwhile: it handled those updates, and a visitor linked Phạm Thị Lan.
    engine = create_engine(settings.resolved_database_url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            session.add_all(ProcessedUpdate(bot_id=first.world.bots[DEMO_TOKEN].id, update_id=i) for i in first_ids)
            lan = await member_by_card(session, "DEMO-009")
            session.add(ChannelLink(member_id=lan.id, platform="telegram", platform_user_id="700009", chat_id="700009"))
            await session.commit()
            before = await _counts(session)

        second = SandboxServer(bots={DEMO_TOKEN: DEMO_BOT})  # a new sandbox: update ids would start at 1 again
        assert await seed_demo(settings, second) is None  # nobody left to link: no invite code
        updates = second.world.bots[DEMO_TOKEN].updates.peek(100)
        assert len(updates) == len(demo_data.PEOPLE)  # Lan too has started the bot now
        assert min(u["update_id"] for u in updates) > max(first_ids)
        assert "chưa liên kết" not in second.world.person(700009).label  # type: ignore[operator]
        async with factory() as session:
            assert await _counts(session) == before
            assert await session.scalar(select(func.count()).select_from(Member)) == len(demo_data.PEOPLE)
    finally:
        await engine.dispose()

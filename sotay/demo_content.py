"""What the demo commune has been doing, seeded through the real core services.

People alone make an empty shell: 📜 Nghị quyết says there is nothing, 📅 Lịch họp shows nothing,
📊 Thống kê has no figures. At start-up `sotay demo` therefore plays a few weeks of the commune's
life, each step done by the right person through the same service the bot and the API call:

1. the commune committee (Giàng A Páo sits on it) publishes Kế hoạch 12-KH/ĐU to every cell
   below it — members get the summary and its voice note (espeak-ng, through the shared
   renderer, outside the writing transaction, as the bot's publishing flow does);
2. it opens a study campaign on it with a two-question quiz; a few members have studied it and
   answered;
3. in each of the last three months each cell held its regular meeting: invitations, absences
   approved, attendance recorded, conclusions written (📊 Thống kê has figures and a chart). That is history: its messages went out at the time, so the
   ones still queued are cancelled (`cancel_pending`) instead of reaching members today;
4. each cell has a regular meeting a few days ahead at 19:30, invitations sent; one member
   said they would come and one asked leave — the request waits for the secretary;
5. a member sent a góp ý that waits in the cell's inbox.

Each step runs in its own transaction and only when its result is missing, so a second start on
the same data directory seeds nothing twice (and tops up what time has used up: once last
start's meeting has passed, a new upcoming one is planned).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.delivery.outbox import cancel_pending
from core.feedback import service as feedback
from core.feedback.models import FeedbackItem, FeedbackKind
from core.meetings import dates
from core.meetings import service as meetings
from core.meetings.models import AbsenceReason, Meeting, MeetingKind, MeetingStatus
from core.orgs.models import Org, OrgKind
from core.orgs.service import Actor, load_actor, member_by_card
from core.resolutions import service as resolutions
from core.resolutions import study
from core.resolutions.models import Document, DocumentKind, DocumentState, StudyCampaign
from core.resolutions.voice import render_variants
from sotay import demo_data
from voice.service import VoiceRenderer

log = logging.getLogger(__name__)

PUBLISHER = "DEMO-001"  # Giàng A Páo: secretary of Khe Gầy and member of the commune committee
SECRETARIES = {demo_data.CELL_EAST: "DEMO-001", demo_data.CELL_WEST: "DEMO-010"}
EVENING = dt.time(19, 30)

DOCUMENT_CODE = "12-KH/ĐU"
DOCUMENT_TITLE = (
    "Kế hoạch học tập, quán triệt và triển khai thực hiện Nghị quyết Đại hội đại biểu Đảng bộ xã "
    "lần thứ I, nhiệm kỳ 2025–2030"
)
# Kept short: it is read aloud at every fresh start (about 35 s of speech, synthesised in ~2 s).
DOCUMENT_SUMMARY = (
    "Đảng ủy xã ban hành Kế hoạch số 12 về học tập, quán triệt Nghị quyết Đại hội Đảng bộ xã lần thứ I, "
    "nhiệm kỳ 2025–2030. Các chi bộ tổ chức học tập ngay trong kỳ sinh hoạt gần nhất, bảo đảm 100% đảng viên "
    "được quán triệt. Trọng tâm là phát triển du lịch cộng đồng gắn với ruộng bậc thang, giữ rừng đầu nguồn "
    "và giảm tỷ lệ hộ nghèo ít nhất 4% mỗi năm. Mỗi đảng viên đăng ký một việc làm cụ thể và làm bài kiểm tra "
    "ngắn trên Sổ tay."
)
DOCUMENT_TEXT = """ĐẢNG BỘ XÃ MÙ CANG CHẢI
KẾ HOẠCH
học tập, quán triệt và triển khai thực hiện Nghị quyết Đại hội đại biểu Đảng bộ xã lần thứ I, nhiệm kỳ 2025–2030

I. MỤC ĐÍCH, YÊU CẦU
1. Giúp cán bộ, đảng viên nắm vững mục tiêu, nhiệm vụ, giải pháp mà Nghị quyết Đại hội đã đề ra; tạo sự thống nhất trong nhận thức và hành động.
2. Việc học tập phải nghiêm túc, thiết thực, phù hợp với điều kiện vùng cao; bảo đảm 100% đảng viên được quán triệt, kể cả đồng chí cao tuổi, đi làm ăn xa (học qua Sổ tay, nghe bản tóm tắt bằng giọng nói).

II. NỘI DUNG TRỌNG TÂM
1. Phát triển du lịch cộng đồng gắn với bảo tồn ruộng bậc thang và văn hóa dân tộc Mông, Thái.
2. Bảo vệ, phát triển rừng đầu nguồn; không để xảy ra cháy rừng, phá rừng trái phép.
3. Giảm tỷ lệ hộ nghèo bình quân ít nhất 4% mỗi năm; 100% thôn có đường bê tông đến trung tâm xã.
4. Xây dựng chi bộ trong sạch, vững mạnh; duy trì sinh hoạt chi bộ định kỳ, nâng cao chất lượng sinh hoạt.

III. TỔ CHỨC THỰC HIỆN
1. Các chi bộ tổ chức học tập trong kỳ sinh hoạt gần nhất; mỗi đảng viên đăng ký ít nhất một việc làm cụ thể để thực hiện Nghị quyết.
2. Đảng viên làm bài kiểm tra ngắn trên Sổ tay; chi bộ báo cáo kết quả về Đảng ủy xã sau buổi sinh hoạt.
3. Văn phòng Đảng ủy theo dõi, tổng hợp, báo cáo Ban Thường vụ Đảng ủy.
"""
QUIZ = [
    study.QuestionInput(
        text="Theo Kế hoạch 12-KH/ĐU, sau khi học tập Nghị quyết mỗi đảng viên cần làm gì?",
        options=["Đăng ký một việc làm cụ thể", "Chỉ cần ký tên vào sổ", "Không cần làm gì thêm"],
        correct=0,
    ),
    study.QuestionInput(
        text="Nghị quyết đặt mục tiêu giảm tỷ lệ hộ nghèo mỗi năm ít nhất bao nhiêu?",
        options=["1%", "4%", "10%"],
        correct=1,
    ),
]
# card → quiz options chosen (None: studied without the quiz yet)
STUDIED = {"DEMO-002": [0, 1], "DEMO-005": [0, 1], "DEMO-006": [0, 0], "DEMO-007": None, "DEMO-011": [0, 1]}


@dataclass(frozen=True)
class AbsenceAsk:
    card: str
    reason: AbsenceReason
    text: str


@dataclass(frozen=True)
class PastMeeting:
    months_ago: int
    excused: AbsenceAsk | None  # asked leave, approved
    absent: list[str]  # stayed away without a word
    conclusions: str


@dataclass(frozen=True)
class CellStory:
    cell: str
    place: str
    # the meeting ahead: who said they would come, who asked leave (waiting for the secretary)
    attending: list[str]
    asks_leave: AbsenceAsk
    past: list[PastMeeting]  # the regular meetings of the last months, held


STORIES = [
    CellStory(
        cell=demo_data.CELL_EAST,
        place="Nhà văn hóa thôn Khe Gầy",
        attending=["DEMO-002"],
        asks_leave=AbsenceAsk("DEMO-007", AbsenceReason.FAMILY, "Nhà có đám cưới con gái, xin phép chi bộ cho vắng buổi này."),
        past=[
            PastMeeting(3, None, ["DEMO-009"], "Chi bộ thống nhất: tập trung thu hoạch lúa mùa, phân công đảng viên giúp hộ neo đơn gặt lúa."),
            PastMeeting(
                2, AbsenceAsk("DEMO-008", AbsenceReason.SICK, "Đau lưng, đi lại khó khăn."), [],
                "Chi bộ thống nhất: vận động bà con đăng ký làm homestay; đồng chí Sùng Thị Mai phụ trách.",
            ),
            PastMeeting(
                1, AbsenceAsk("DEMO-004", AbsenceReason.FAMILY, "Đưa con xuống huyện khám bệnh."), ["DEMO-007"],
                "Chi bộ thống nhất:\n"
                "1. Vận động 100% hộ trong thôn ký cam kết giữ rừng đầu nguồn, không đốt nương trong mùa khô.\n"
                "2. Hoàn thành thu đảng phí trước ngày 15.\n"
                "3. Đồng chí Lý A Dình báo cáo lý do vắng họp với chi ủy.",
            ),
        ],
    ),
    CellStory(
        cell=demo_data.CELL_WEST,
        place="Nhà văn hóa thôn Púng Luông",
        attending=["DEMO-012"],
        asks_leave=AbsenceAsk("DEMO-011", AbsenceReason.SICK, "Đang điều trị ở Trạm y tế xã, xin phép vắng."),
        past=[
            PastMeeting(3, None, [], "Chi bộ thống nhất: sửa lại mương dẫn nước vào ruộng bậc thang trước vụ mới."),
            PastMeeting(
                2, AbsenceAsk("DEMO-011", AbsenceReason.FAMILY, "Nhà có việc hiếu."), [],
                "Chi bộ thống nhất: phối hợp chi hội phụ nữ đón đoàn khách du lịch cộng đồng đầu tiên của thôn.",
            ),
            PastMeeting(1, None, ["DEMO-012"], "Chi bộ thống nhất: sửa đoạn đường nội thôn bị sạt lở trước ngày 20."),
        ],
    ),
]
FEEDBACK_AUTHOR = "DEMO-005"  # Nguyễn Văn Bình, Khe Gầy
FEEDBACK_TEXT = (
    "Tôi góp ý: chi bộ nên tổ chức học Nghị quyết vào buổi tối, vì ban ngày bà con còn lên nương. "
    "Nhà văn hóa thôn chưa có loa, đề nghị chi bộ xin xã hỗ trợ một bộ loa để các đồng chí cao tuổi nghe rõ hơn."
)


@dataclass
class SeedReport:
    done: list[str] = field(default_factory=list)  # what this start added
    seconds: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- helpers


async def _actor(session: AsyncSession, card: str) -> Actor:
    return await load_actor(session, await member_by_card(session, card))


async def _org(session: AsyncSession, name: str, kind: OrgKind) -> Org:
    return (await session.execute(select(Org).where(Org.name == name, Org.kind == kind))).scalar_one()


def _at(day: dt.date, moment: dt.time) -> dt.datetime:
    return dates.to_utc(day, moment)


def _months_ago_day(now: dt.datetime, months: int, day_of_month: int = 5) -> dt.date:
    """"Mùng 5" of an earlier month: the cell's usual regular-meeting day."""
    today = dates.local(now).date()
    year, month = dates.add_months(today.year, today.month, -months)
    return dates.clamp_day(year, month, day_of_month)


def _agenda(starts_at: dt.datetime, *, study_first: bool) -> str:
    month = dates.local(starts_at).month
    previous = 12 if month == 1 else month - 1
    lines = []
    if study_first:
        lines.append(f"Học tập, quán triệt Kế hoạch {DOCUMENT_CODE} của Đảng ủy xã; mỗi đồng chí đăng ký một việc làm cụ thể.")
    lines += [f"Đánh giá kết quả tháng {previous}, triển khai nhiệm vụ tháng {month}.", "Thu đảng phí."]
    return "\n".join(f"{index}. {line}" for index, line in enumerate(lines, start=1))


# ---------------------------------------------------------------- the steps


async def _document(session: AsyncSession, commune: Org) -> Document | None:
    return (
        await session.execute(
            select(Document).where(Document.org_id == commune.id, Document.code == DOCUMENT_CODE, Document.state != DocumentState.WITHDRAWN)
        )
    ).scalar_one_or_none()


async def seed_resolution(
    session_factory: async_sessionmaker[AsyncSession], *, renderer: VoiceRenderer | None, now: dt.datetime, report: SeedReport
) -> int:
    """The committee drafts, then publishes with voice notes (synthesis between the two transactions)."""
    published_at = now - dt.timedelta(days=2)
    async with transaction(session_factory) as session:
        commune = await _org(session, demo_data.COMMUNE, OrgKind.COMMITTEE)
        document = await _document(session, commune)
        if document is not None and document.state == DocumentState.PUBLISHED:
            return document.id
        actor = await _actor(session, PUBLISHER)
        if document is None:  # a draft left by an interrupted start is published as it is
            document = await resolutions.create_draft(
                session, actor=actor, now=published_at - dt.timedelta(hours=3),
                draft=resolutions.DraftInput(
                    kind=DocumentKind.KH, code=DOCUMENT_CODE, title=DOCUMENT_TITLE, full_text=DOCUMENT_TEXT,
                    summary=DOCUMENT_SUMMARY, org_id=commune.id, issued_on=dates.local(now).date() - dt.timedelta(days=9),
                ),
            )
        document_id = document.id
    async with transaction(session_factory) as session:
        actor = await _actor(session, PUBLISHER)
        variants = await resolutions.voice_variants(session, actor=actor, document_id=document_id)
        document = await resolutions.draft_for_author(session, actor=actor, document_id=document_id)
        started = time.perf_counter()
        notes = await render_variants(renderer, document.summary, variants) if renderer is not None else {}
        report.seconds["voice"] = time.perf_counter() - started
        result = await resolutions.publish(session, actor=actor, document_id=document_id, now=published_at, voices=notes)
        report.done.append(f"resolution {DOCUMENT_CODE}: {result.recipients} recipients, {result.voice_variants} voice variant(s)")
    return document_id


async def seed_study(session_factory: async_sessionmaker[AsyncSession], *, document_id: int, now: dt.datetime, report: SeedReport) -> None:
    """A campaign over the whole commune with a two-question quiz; a few members are done."""
    opened_at = now - dt.timedelta(days=2) + dt.timedelta(hours=1)
    async with transaction(session_factory) as session:
        commune = await _org(session, demo_data.COMMUNE, OrgKind.COMMITTEE)
        exists = await session.scalar(select(StudyCampaign.id).where(StudyCampaign.document_id == document_id, StudyCampaign.org_id == commune.id))
        if exists is not None:
            return
        opened = await study.open_campaign(
            session, actor=await _actor(session, PUBLISHER), document_id=document_id, org_id=commune.id,
            deadline_day=dates.local(now).date() + dt.timedelta(days=14), questions=QUIZ, now=opened_at,
        )
        questions = await study.questions_of(session, campaign_id=opened.campaign.id)
        studied_at = now - dt.timedelta(days=1)
        for index, (card, choices) in enumerate(STUDIED.items()):
            actor = await _actor(session, card)
            moment = studied_at + dt.timedelta(minutes=17 * index)
            await resolutions.confirm_studied(session, actor=actor, document_id=document_id, now=moment)
            for question, option in zip(questions, choices or [], strict=False):
                await study.answer(session, member=actor.member, question_id=question.id, option=option, now=moment + dt.timedelta(minutes=2))
        report.done.append(f"study campaign: {opened.members} members, {len(STUDIED)} studied")


async def _meeting(session: AsyncSession, cell: Org, **where: object) -> Meeting | None:
    query = select(Meeting).where(Meeting.cell_id == cell.id, Meeting.kind == MeetingKind.REGULAR)
    if where.get("held"):
        query = query.where(Meeting.status == MeetingStatus.HELD)
    if "after" in where:
        query = query.where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > where["after"])
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def _ask_leave(session: AsyncSession, meeting: Meeting, ask: AbsenceAsk, now: dt.datetime) -> int:
    actor = await _actor(session, ask.card)
    invitation_id = await meetings.own_invitation_id(session, actor=actor, meeting_id=meeting.id)
    await meetings.request_absence(session, actor=actor, invitation_id=invitation_id, reason=ask.reason, text=ask.text, now=now)
    return invitation_id


async def _say_attending(session: AsyncSession, meeting: Meeting, card: str, now: dt.datetime) -> None:
    actor = await _actor(session, card)
    invitation_id = await meetings.own_invitation_id(session, actor=actor, meeting_id=meeting.id)
    await meetings.answer_attending(session, actor=actor, invitation_id=invitation_id, now=now)


async def seed_past_meetings(session_factory: async_sessionmaker[AsyncSession], story: CellStory, *, now: dt.datetime, report: SeedReport) -> None:
    """The last months' regular meetings, held: answers, approved absences, attendance, conclusions."""
    async with transaction(session_factory) as session:
        cell = await _org(session, story.cell, OrgKind.CELL)
        if await _meeting(session, cell, held=True) is not None:
            return
        secretary = await _actor(session, SECRETARIES[story.cell])
        present_total = invited_total = 0
        for past in story.past:
            starts_at = _at(_months_ago_day(now, past.months_ago), EVENING)
            created = await meetings.create_meeting(
                session, actor=secretary, cell_id=cell.id, kind=MeetingKind.REGULAR, starts_at=starts_at, place=story.place,
                agenda=_agenda(starts_at, study_first=False), now=starts_at - dt.timedelta(days=6),
            )
            meeting = created.meeting
            absent = set(past.absent)
            if past.excused is not None:
                absent.add(past.excused.card)
                invitation_id = await _ask_leave(session, meeting, past.excused, starts_at - dt.timedelta(days=2))
                await meetings.decide_absence(
                    session, actor=secretary, invitation_id=invitation_id, approve=True, now=starts_at - dt.timedelta(days=1, hours=20)
                )
            # Half of the linked members said they would come; the others simply came.
            cards = [
                p.card for p in demo_data.PEOPLE
                if p.cell == story.cell and p.linked and not p.exempt and p.card not in absent and p.card != SECRETARIES[story.cell]
            ]
            for index, card in enumerate(cards[: max(1, len(cards) // 2)]):
                await _say_attending(session, meeting, card, starts_at - dt.timedelta(days=3) + dt.timedelta(minutes=23 * index))
            absent_ids = {(await member_by_card(session, card)).id for card in absent}
            held_at = starts_at + dt.timedelta(hours=2)
            invited = [invitation.member_id for invitation in await meetings.invitations_of(session, meeting.id)]
            await meetings.set_attendance(
                session, actor=secretary, meeting_id=meeting.id, present_member_ids=[m for m in invited if m not in absent_ids], now=held_at
            )
            if absent_ids:
                await meetings.send_conclusions(session, actor=secretary, meeting_id=meeting.id, text=past.conclusions, now=held_at + dt.timedelta(hours=1))
            # History: these messages went out at the time; they must not reach anyone today.
            await cancel_pending(session, source=meetings.source_of(meeting.id))
            present_total += len(invited) - len(absent_ids)
            invited_total += len(invited)
        report.done.append(f"past meetings in {story.cell}: {len(story.past)} held, {present_total}/{invited_total} present")


async def seed_upcoming_meeting(
    session_factory: async_sessionmaker[AsyncSession], story: CellStory, *, now: dt.datetime, report: SeedReport
) -> None:
    """A regular meeting three days ahead at 19:30; one member will come, one asks leave."""
    async with transaction(session_factory) as session:
        cell = await _org(session, story.cell, OrgKind.CELL)
        if await _meeting(session, cell, after=now) is not None:
            return
        secretary = await _actor(session, SECRETARIES[story.cell])
        starts_at = _at(dates.local(now).date() + dt.timedelta(days=3), EVENING)
        created_at = now - dt.timedelta(days=1)
        created = await meetings.create_meeting(
            session, actor=secretary, cell_id=cell.id, kind=MeetingKind.REGULAR, starts_at=starts_at, place=story.place,
            agenda=_agenda(starts_at, study_first=True), now=created_at,
        )
        for index, card in enumerate(story.attending):
            await _say_attending(session, created.meeting, card, now - dt.timedelta(hours=5, minutes=11 * index))
        await _ask_leave(session, created.meeting, story.asks_leave, now - dt.timedelta(hours=3))
        report.done.append(f"upcoming meeting in {story.cell}: {created.invite.invited} invited")


async def seed_feedback(session_factory: async_sessionmaker[AsyncSession], *, now: dt.datetime, report: SeedReport) -> None:
    async with transaction(session_factory) as session:
        author = await _actor(session, FEEDBACK_AUTHOR)
        if await session.scalar(select(FeedbackItem.id).where(FeedbackItem.author_id == author.member.id).limit(1)) is not None:
            return
        item = await feedback.submit(
            session, actor=author, kind=FeedbackKind.COMMENT, org_id=author.cell.id,
            content=feedback.Content(text=FEEDBACK_TEXT), now=now - dt.timedelta(hours=2),
        )
        report.done.append(f"feedback {item.reference}")


async def seed_content(
    session_factory: async_sessionmaker[AsyncSession], *, renderer: VoiceRenderer | None, now: dt.datetime,
    clock: Callable[[], float] = time.perf_counter,
) -> SeedReport:
    """Everything above, in the order members would have received it. Safe to run on every start."""
    report = SeedReport()
    started = clock()
    document_id = await seed_resolution(session_factory, renderer=renderer, now=now, report=report)
    await seed_study(session_factory, document_id=document_id, now=now, report=report)
    for story in STORIES:
        await seed_past_meetings(session_factory, story, now=now, report=report)
    for story in STORIES:
        await seed_upcoming_meeting(session_factory, story, now=now, report=report)
    await seed_feedback(session_factory, now=now, report=report)
    report.seconds["total"] = clock() - started
    return report


"""📜 Nghị quyết through the real Dispatcher: publishing (one synthesis per voice variant, one
cache key shared by every voice row), the library, search, reading, «✅ Tôi đã nghiên cứu», voice
replays, files, and every refusal (forged buttons, other provinces, members who may not publish)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.dispatcher import build_dispatcher
from core import texts
from core.delivery.models import OutboxMessage
from core.orgs.models import Member, SpeechSpeed
from core.resolutions.models import Bookmark, Document, DocumentState, DocumentStudy
from tests.botkit import BotHarness, inline_buttons, texts_of
from tests.unit.resolutions.helpers import docx_bytes, zip_bomb
from voice.engines import EspeakSpeaker
from voice.service import VoiceRenderer

R = texts.resolutions
SECRETARY_A, DEPUTY_A, MEMBER_A, OTHER_MEMBER_A = 1001, 1002, 1003, 1004
SECRETARY_B, MEMBER_B = 2001, 2003
COMMITTEE = 5001
OTHER_PROVINCE = 9001

FULL_TEXT = (
    "Nghị quyết về tăng cường xây dựng, chỉnh đốn Đảng và hệ thống chính trị. "
    "Đảng viên phải gương mẫu trong học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh. "
    "Chi bộ sinh hoạt định kỳ mỗi tháng một lần, nội dung sinh hoạt thiết thực. "
    "Cấp ủy các cấp kiểm tra, giám sát việc thực hiện nghị quyết của chi bộ. "
    "Đảng viên giữ mối liên hệ mật thiết với nhân dân nơi cư trú. "
    "Kiên quyết đấu tranh ngăn chặn, đẩy lùi sự suy thoái về tư tưởng chính trị của đảng viên. "
    "Chi bộ đánh giá, xếp loại đảng viên cuối năm khách quan, đúng thực chất. "
    "Tăng cường công tác phát triển đảng viên mới trong thanh niên. "
    "Thời tiết hôm nay đẹp. "
    "Nghị quyết có hiệu lực từ ngày ký và được phổ biến đến toàn thể đảng viên."
)



@pytest.fixture
def renderer(tmp_path: Path) -> VoiceRenderer:
    return VoiceRenderer(EspeakSpeaker(), tmp_path / "audio")


@pytest.fixture
def bot(session_factory, cipher, clock, renderer, tmp_path):  # type: ignore[no-untyped-def]
    dispatcher = build_dispatcher(
        session_factory=session_factory, cipher=cipher, clock=clock, voice_renderer=renderer, files_dir=tmp_path / "files"
    )
    return BotHarness(dispatcher)


def find_button(calls, label: str) -> str:  # type: ignore[no-untyped-def]
    for call in reversed(calls):
        for text, data in inline_buttons(call):
            if text == label and data:
                return data
    raise AssertionError(f"no button {label!r} in {[inline_buttons(c) for c in calls]}")


def names(calls) -> list[str]:  # type: ignore[no-untyped-def]
    return [type(call).__name__ for call in calls]


async def draft_until_summary(bot: BotHarness, user_id: int, *, title: str = "Về tăng cường xây dựng Đảng") -> list:  # type: ignore[type-arg]
    calls = await bot.text(user_id, texts.account.BTN_RESOLUTIONS)
    calls = await bot.press(user_id, find_button(calls, R.BTN_PUBLISH))
    assert R.PUBLISH_KIND in texts_of(calls)
    calls = await bot.press(user_id, find_button(calls, R.KINDS["NQ"]))
    await bot.text(user_id, "21-nq/tw")
    await bot.text(user_id, "16/06/2022")
    await bot.text(user_id, title)
    calls = await bot.text(user_id, FULL_TEXT)
    return await bot.press(user_id, find_button(calls, R.BTN_DONE_TEXT))


async def publish_through_bot(bot: BotHarness, user_id: int, *, target_label: str | None = None) -> list:  # type: ignore[type-arg]
    calls = await draft_until_summary(bot, user_id)
    calls = await bot.press(user_id, find_button(calls, R.BTN_KEEP_SUMMARY))
    if target_label is not None:
        calls = await bot.press(user_id, find_button(calls, target_label))
    return await bot.press(user_id, find_button(calls, R.BTN_SEND))


async def outbox(session, kind: str = "resolution") -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    return list((await session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))).scalars())


async def published(session) -> Document:  # type: ignore[no-untyped-def]
    return (await session.execute(select(Document).where(Document.state == DocumentState.PUBLISHED))).scalar_one()


# ---------------------------------------------------------------- publishing


async def test_secretary_publishes_one_synthesis_per_variant_and_one_cache_key(bot, session, commune, renderer):  # type: ignore[no-untyped-def]
    cell = commune.cells[0]
    cell.members[0].speech_speed = SpeechSpeed.SLOW
    cell.members[1].voice_enabled = False
    cell_id, secretary_id, slow_id, silent_id = cell.org.id, cell.secretary.id, cell.members[0].id, cell.members[1].id
    # Everyone of the cell but the publisher (the commune committee member lives in cell A too).
    recipients = {cell.deputy.id, commune.committee_member.id, *(m.id for m in cell.members)}
    await session.commit()

    calls = await publish_through_bot(bot, SECRETARY_A)

    assert any("21-NQ/TW" in text or "Về tăng cường" in text for text in texts_of(calls))
    session.expire_all()
    document = await published(session)
    assert document.code == "21-NQ/TW" and document.kind.value == "NQ" and str(document.issued_on) == "2022-06-16"
    assert document.org_id == cell_id and document.published_by_id == secretary_id
    assert 5 <= len(document.summary.split("\n")) <= 8 and "Thời tiết" not in document.summary

    rows = await outbox(session)
    summaries = [row for row in rows if row.idempotency_key.endswith("|summary")]
    voices = [row for row in rows if "|voice" in row.idempotency_key]
    assert {row.member_id for row in summaries} == recipients  # not the publisher, nobody outside the cell
    assert all(row.source == f"document:{document.id}" for row in rows)
    labels = [b["text"] for row_ in summaries[0].payload["buttons"] for b in row_]
    assert {R.BTN_FULL_TEXT, R.BTN_STUDIED, R.BTN_REPLAY, R.BTN_SLOWER} <= set(labels)

    # Two variants are needed (normal, slow): two syntheses, whatever the number of members.
    assert renderer.syntheses == 2
    assert {row.member_id for row in voices} == recipients - {silent_id}
    normal = [row for row in voices if row.member_id != slow_id]
    assert len(normal) == 4 and len({row.payload["attachment"]["cache_key"] for row in normal}) == 1
    slow_key = next(row for row in voices if row.member_id == slow_id).payload["attachment"]["cache_key"]
    assert slow_key != normal[0].payload["attachment"]["cache_key"]
    assert all(Path(row.payload["attachment"]["path"]).exists() for row in voices)
    assert all(row.payload["attachment"]["kind"] == "voice" for row in voices)


async def test_committee_member_publishes_to_the_commune_subtree(bot, session, commune):  # type: ignore[no-untyped-def]
    commune_id = commune.commune.id
    cell_members = {m.id for cell in commune.cells for m in (cell.secretary, cell.deputy, *cell.members)}
    calls = await publish_through_bot(
        bot, COMMITTEE, target_label=R.TARGET_BUTTON_SUBTREE.format(name=commune.commune.name)
    )
    assert calls
    session.expire_all()
    document = await published(session)
    assert document.org_id == commune_id
    reached = {row.member_id for row in await outbox(session) if row.idempotency_key.endswith("|summary")}
    assert reached == cell_members  # both cells, nobody of the other province


async def test_a_member_cannot_publish(bot, session, commune):  # type: ignore[no-untyped-def]
    calls = await bot.text(MEMBER_A, texts.account.BTN_RESOLUTIONS)
    assert R.BTN_PUBLISH not in [text for call in calls for text, _ in inline_buttons(call)]
    calls = await bot.press(MEMBER_A, "rm:publish")
    assert R.NOT_PUBLISHER in texts_of(calls)
    calls = await bot.press(MEMBER_A, "rpk:NQ")  # a forged step without the flow
    assert texts.common.STALE_BUTTON in texts_of(calls)
    await bot.text(MEMBER_A, "21-NQ/TW")
    assert await session.scalar(select(func.count(Document.id))) == 0


async def test_bad_input_during_publishing_is_refused_and_the_flow_continues(bot, session, commune):  # type: ignore[no-untyped-def]
    calls = await bot.text(SECRETARY_A, "/nghiquyet")
    calls = await bot.press(SECRETARY_A, find_button(calls, R.BTN_PUBLISH))
    await bot.press(SECRETARY_A, find_button(calls, R.KINDS["NQ"]))
    assert R.CODE_INVALID in texts_of(await bot.text(SECRETARY_A, "nghị quyết hai mốt"))
    await bot.text(SECRETARY_A, "21-NQ/TW")
    assert R.DATE_INVALID in texts_of(await bot.text(SECRETARY_A, "31/02/2022"))
    assert R.DATE_IN_FUTURE in texts_of(await bot.text(SECRETARY_A, "01/01/2030"))
    await bot.text(SECRETARY_A, "16/6/2022")
    assert R.TITLE_TOO_SHORT in texts_of(await bot.text(SECRETARY_A, "ab"))
    await bot.text(SECRETARY_A, "Về tăng cường xây dựng Đảng")
    # A zip bomb dressed as a .docx, then a file of a kind Sổ tay cannot read.
    calls = await bot.document(SECRETARY_A, zip_bomb(30), "bom.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert R.DOCX_BOMB in texts_of(calls)
    calls = await bot.document(SECRETARY_A, b"\x89PNG\r\n\x1a\n\x1b\x02IHDR\x7f\x03\x01\x02\x05" * 3, "anh.png", "image/png")
    assert R.FILE_UNSUPPORTED in texts_of(calls)
    assert await session.scalar(select(func.count(Document.id))) == 0
    # A real DOCX is read, stored and drafted.
    calls = await bot.document(SECRETARY_A, docx_bytes(FULL_TEXT.split(". ")), "nq21.docx",
                               "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert any(R.BTN_KEEP_SUMMARY == text for call in calls for text, _ in inline_buttons(call))
    # The publisher replaces the drafted summary with their own.
    calls = await bot.text(SECRETARY_A, "Tóm tắt của chi bộ: mọi đảng viên học tập nghị quyết trong tháng.")
    calls = await bot.press(SECRETARY_A, find_button(calls, R.BTN_SEND))
    session.expire_all()
    document = await published(session)
    assert document.summary.startswith("Tóm tắt của chi bộ") and document.file_name == "nq21.docx"
    assert document.file_path and Path(document.file_path).exists()


async def test_cancel_discards_the_draft(bot, session, commune):  # type: ignore[no-untyped-def]
    calls = await draft_until_summary(bot, SECRETARY_A)
    assert await session.scalar(select(func.count(Document.id))) == 1
    await bot.press(SECRETARY_A, find_button(calls, R.BTN_CANCEL))
    session.expire_all()
    assert await session.scalar(select(func.count(Document.id))) == 0


# ---------------------------------------------------------------- reading


async def test_members_read_search_save_study_and_listen(bot, session, commune, renderer):  # type: ignore[no-untyped-def]
    member_id = commune.cells[0].members[0].id
    await publish_through_bot(bot, SECRETARY_A)
    session.expire_all()
    document = await published(session)

    calls = await bot.text(MEMBER_A, texts.account.BTN_RESOLUTIONS)
    assert R.LIBRARY_TITLE in texts_of(calls)[0]
    open_data = find_button(calls, next(t for call in calls for t, _ in inline_buttons(call) if "21-NQ/TW" in t))
    assert open_data == f"rd:open:{document.id}"

    # Search without diacritics, by words, by number.
    for query in ("nghi quyet 21", "dang vien", "21-nq"):
        await bot.press(MEMBER_A, "rm:search")
        calls = await bot.text(MEMBER_A, query)
        assert any(data == open_data for call in calls for _, data in inline_buttons(call)), query
    await bot.press(MEMBER_A, "rm:search")
    calls = await bot.text(MEMBER_A, "339")
    assert not any(data == open_data for call in calls for _, data in inline_buttons(call))

    calls = await bot.press(MEMBER_A, open_data)
    assert "Về tăng cường xây dựng Đảng" in texts_of(calls)[0]

    await bot.press(MEMBER_A, f"rd:save:{document.id}")
    await bot.press(MEMBER_A, f"rd:save:{document.id}")  # twice: still one bookmark
    assert await session.scalar(select(func.count(Bookmark.id)).where(Bookmark.member_id == member_id)) == 1
    calls = await bot.press(MEMBER_A, "rm:saved")
    assert any(data == open_data for call in calls for _, data in inline_buttons(call))

    calls = await bot.press(MEMBER_A, f"rd:study:{document.id}")
    assert R.STUDIED_THANKS in texts_of(calls)
    calls = await bot.press(MEMBER_A, f"rd:study:{document.id}")
    assert R.STUDIED_ALREADY in texts_of(calls)
    assert await session.scalar(select(func.count(DocumentStudy.id)).where(DocumentStudy.member_id == member_id)) == 1

    calls = await bot.press(MEMBER_A, f"rd:full:{document.id}")
    assert "SendMessage" in names(calls) and any("Đảng viên phải gương mẫu" in t for t in texts_of(calls))

    before = renderer.syntheses
    calls = await bot.press(MEMBER_A, f"rv:again:{document.id}")
    assert "SendVoice" in names(calls)
    assert renderer.syntheses == before  # the normal variant was rendered at publication
    calls = await bot.press(MEMBER_A, f"rv:slow:{document.id}")
    assert "SendVoice" in names(calls)
    # The second replay goes by the file id Telegram gave the first upload.
    calls = await bot.press(MEMBER_A, f"rv:again:{document.id}")
    voice = next(call for call in calls if type(call).__name__ == "SendVoice")
    assert isinstance(voice.voice, str)


async def test_the_original_file_is_sent_by_file_id(bot, session, commune):  # type: ignore[no-untyped-def]
    calls = await bot.text(SECRETARY_A, texts.account.BTN_RESOLUTIONS)
    calls = await bot.press(SECRETARY_A, find_button(calls, R.BTN_PUBLISH))
    await bot.press(SECRETARY_A, find_button(calls, R.KINDS["CT"]))
    await bot.text(SECRETARY_A, "05-CT/TW")
    await bot.text(SECRETARY_A, "15/05/2016")
    await bot.text(SECRETARY_A, "Về đẩy mạnh học tập và làm theo tư tưởng Hồ Chí Minh")
    calls = await bot.document(SECRETARY_A, docx_bytes(FULL_TEXT.split(". ")), "ct05.docx",
                               "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    calls = await bot.press(SECRETARY_A, find_button(calls, R.BTN_KEEP_SUMMARY))
    await bot.press(SECRETARY_A, find_button(calls, R.BTN_SEND))
    session.expire_all()
    document = await published(session)

    first = await bot.press(MEMBER_A, f"rd:full:{document.id}")
    upload = next(call for call in first if type(call).__name__ == "SendDocument")
    assert not isinstance(upload.document, str)
    second = await bot.press(OTHER_MEMBER_A, f"rd:full:{document.id}")
    again = next(call for call in second if type(call).__name__ == "SendDocument")
    assert isinstance(again.document, str) and again.document.startswith("doc-")


async def test_forged_buttons_cannot_reach_another_provinces_document(bot, session, commune):  # type: ignore[no-untyped-def]
    other_cell_id, member_b_id = commune.other_cell.org.id, commune.cells[1].members[0].id
    await publish_through_bot(bot, SECRETARY_A)
    session.expire_all()
    document = await published(session)

    calls = await bot.text(OTHER_PROVINCE, texts.account.BTN_RESOLUTIONS)
    assert not any(data == f"rd:open:{document.id}" for call in calls for _, data in inline_buttons(call))
    for action in ("open", "full", "save", "study", "listen"):
        calls = await bot.press(OTHER_PROVINCE, f"rd:{action}:{document.id}")
        assert "Về tăng cường" not in " ".join(texts_of(calls)), action
        assert not {"SendDocument", "SendVoice"} & set(names(calls)), action
    for action in ("again", "slow"):
        calls = await bot.press(OTHER_PROVINCE, f"rv:{action}:{document.id}")
        assert "SendVoice" not in names(calls)
    # Cell B is under the same commune but the document went to cell A only.
    calls = await bot.press(MEMBER_B, f"rd:open:{document.id}")
    assert "Về tăng cường" not in " ".join(texts_of(calls))
    other = (await session.execute(select(Member.id).where(Member.org_id == other_cell_id))).scalars().all()
    ids = [*other, member_b_id]
    assert await session.scalar(select(func.count(DocumentStudy.id)).where(DocumentStudy.member_id.in_(ids))) == 0
    assert await session.scalar(select(func.count(Bookmark.id)).where(Bookmark.member_id.in_(ids))) == 0
    # Garbage in the callback data falls through to the stale-button answer.
    calls = await bot.press(MEMBER_A, "rd:open:abc")
    assert texts.common.STALE_BUTTON in texts_of(calls)


async def test_the_worker_uploads_each_voice_note_once_and_sends_the_rest_by_file_id(  # type: ignore[no-untyped-def]
    bot, session, session_factory, commune, clock
):
    from core.delivery.budget import BudgetConfig, LocalTokenBucket
    from core.delivery.worker import DeliveryWorker
    from core.ports import CollectingMessenger

    commune.cells[0].members[0].speech_speed = SpeechSpeed.SLOW
    await session.commit()
    await publish_through_bot(bot, SECRETARY_A)

    messenger = CollectingMessenger()
    unlimited = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)
    await DeliveryWorker(session_factory, messenger, LocalTokenBucket(unlimited), clock).drain()

    voices = [message.attachment for _, message in messenger.sent if message.attachment and message.attachment.kind == "voice"]
    summaries = [message for _, message in messenger.sent if message.attachment is None]
    assert len(summaries) == 6 and len(voices) == 6
    uploads = [a for a in voices if a.file_id is None]
    assert len(uploads) == 2 and all(a.path for a in uploads)  # one per variant (normal, slow)
    assert {a.file_id for a in voices if a.file_id} <= {f"file-{a.cache_key}" for a in uploads}


# ---------------------------------------------------------------- study campaigns and quizzes


async def test_campaign_quiz_poll_answers_results_and_reminders(bot, session, commune, clock):  # type: ignore[no-untyped-def]
    import datetime as dt

    from core.resolutions import study
    from core.resolutions.models import QuizAnswer, StudyAssignment, StudyCampaign
    from tests.unit.resolutions.helpers import with_polls

    with_polls(bot)
    cell = commune.cells[0]
    member_id, other_id = cell.members[0].id, cell.members[1].id
    obliged = 1 + 1 + len(cell.members) + 1  # secretary, deputy, members, the committee member living in cell A
    await publish_through_bot(bot, SECRETARY_A)
    session.expire_all()
    document_id = (await published(session)).id

    # A member can neither open a campaign nor fake the organiser's steps.
    calls = await bot.press(MEMBER_A, f"rd:camp:{document_id}")
    assert texts.common.FORBIDDEN in texts_of(calls)
    await bot.press(MEMBER_A, "scs:open")
    assert await session.scalar(select(func.count(StudyCampaign.id))) == 0

    await bot.press(SECRETARY_A, f"rd:camp:{document_id}")
    await bot.press(SECRETARY_A, "scs:w1")
    assert R.QUESTION_NEEDS_OPTIONS.format(limit=study.MAX_OPTIONS) in texts_of(await bot.text(SECRETARY_A, "Chỉ một dòng?"))
    calls = await bot.text(SECRETARY_A, "Nghị quyết 21 bàn về gì?\nA. Tổ chức cơ sở đảng\nB. Kinh tế biển\nC. Giáo dục")
    assert [data for call in calls for _, data in inline_buttons(call)] == ["scc:0", "scc:1", "scc:2"]
    await bot.press(SECRETARY_A, "scc:0")
    await bot.press(SECRETARY_A, "scs:done")
    calls = await bot.press(SECRETARY_A, "scs:open")
    assert any(f"{obliged} đảng viên" in text for text in texts_of(calls))
    session.expire_all()
    campaign = (await session.execute(select(StudyCampaign))).scalar_one()
    campaign_id = campaign.id
    assert campaign.question_count == 1 and study.local_day(campaign.deadline) == dt.date(2026, 11, 30)
    assert await session.scalar(select(func.count(StudyAssignment.id))) == obliged
    notices = (await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"campaign:{campaign_id}"))).scalars().all()
    assert len(notices) == obliged

    # The member takes the quiz: a non-anonymous Telegram quiz poll, answered once.
    calls = await bot.press(MEMBER_A, f"rd:quiz:{document_id}")
    poll = next(call for call in calls if type(call).__name__ == "SendPoll")
    assert poll.type == "quiz" and poll.is_anonymous is False and poll.correct_option_id == 0
    # Someone else answering that member's poll changes nothing.
    await bot.poll_answer(OTHER_MEMBER_A, "poll-1", [0])
    assert await session.scalar(select(func.count(QuizAnswer.id))) == 0
    calls = await bot.poll_answer(MEMBER_A, "poll-1", [0])
    assert any("1/1" in text for text in texts_of(calls))
    await bot.poll_answer(MEMBER_A, "poll-1", [1])  # a second answer to the same question does not count
    answers = (await session.execute(select(QuizAnswer))).scalars().all()
    assert [(a.member_id, a.option, a.correct) for a in answers] == [(member_id, 0, True)]
    await bot.press(MEMBER_A, f"rd:study:{document_id}")

    calls = await bot.press(SECRETARY_A, f"scv:res:{campaign_id}")
    assert any(f"1/{obliged}" in text for text in texts_of(calls))
    calls = await bot.press(MEMBER_B, f"scv:res:{campaign_id}")  # another cell's member cannot see the results
    assert not any(f"/{obliged}" in text for text in texts_of(calls))

    # Three days before the deadline, in the daytime: everyone not done is reminded, once.
    now = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)  # 09:00 in Hà Nội
    from core.ticks import TickContext, tick_jobs

    job = dict(tick_jobs())["enqueue_study_reminders"]
    from core.clock import local_tz

    tz = local_tz()
    assert await job(session, TickContext(now=now - dt.timedelta(days=1), tz=tz)) == 0  # too early
    queued = await job(session, TickContext(now=now, tz=tz))
    again = await job(session, TickContext(now=now + dt.timedelta(hours=1), tz=tz))
    await session.commit()
    reminded = set(
        (await session.execute(select(OutboxMessage.member_id).where(OutboxMessage.kind == study.REMINDER_KIND))).scalars()
    )
    assert queued == obliged - 1 and again == 0
    assert member_id not in reminded and other_id in reminded


async def test_the_bot_and_the_api_share_one_voice_renderer(tmp_path: Path) -> None:
    from api.routes.documents import renderer_of
    from sotay.runtime import build_runtime
    from sotay.settings import Settings
    from tests.conftest import TEST_SECRET_KEY

    settings = Settings(demo=True, secret_key=TEST_SECRET_KEY, data_dir=tmp_path / "data", telegram_token="42:TEST_TOKEN_abcdefghijklmnopqrstuvwxyz")
    runtime = build_runtime(settings)
    await runtime.engine.dispose()
    renderer = runtime.dispatcher["voice_renderer"]  # type: ignore[index]
    assert isinstance(renderer, VoiceRenderer) and renderer is renderer_of(runtime)
    assert renderer.cache.directory == tmp_path / "data" / "audio"

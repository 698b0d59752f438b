"""📜 Nghị quyết through the real Dispatcher: the library, search without diacritics, reading,
voice with 🔁/🐢, ⭐ and ✅, voice settings from 👤 Hồ sơ, publishing (pasted text and files, with
the bad files refused), and forged buttons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.dispatcher import build_dispatcher
from core import texts
from core.delivery.models import MediaFile, OutboxMessage
from core.orgs.models import Member, SpeechSpeed
from core.orgs.service import load_actor
from core.ports import OutboundMessage
from core.resolutions import service
from core.resolutions.models import Bookmark, Document, DocumentKind, DocumentState, DocumentStudy
from tests.botkit import BotHarness, inline_buttons, texts_of
from tests.factories import Commune
from tests.unit.resolutions.helpers import CountingSpeaker, docx_bytes, pdf_scanned, pdf_with_text, with_polls, zip_bomb
from voice.service import VoiceRenderer

SECRETARY_A, DEPUTY_A, MEMBER_A = 1001, 1002, 1003
MEMBER_B = 2003
COMMITTEE = 5001
OTHER = 9003
R = texts.resolutions
TEXT = (
    "Nghị quyết về tăng cường củng cố, xây dựng tổ chức cơ sở đảng và nâng cao chất lượng đội ngũ đảng viên. "
    "Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ. "
    "Đổi mới, nâng cao chất lượng sinh hoạt chi bộ ở mọi nơi. Tăng cường quản lý đảng viên bằng sổ tay điện tử. "
    "Chú trọng kết nạp đảng viên là người dân tộc thiểu số. Các cấp ủy thường xuyên kiểm tra, giám sát việc thực hiện."
)



@pytest.fixture
def speaker() -> CountingSpeaker:
    return CountingSpeaker()


@pytest.fixture
def bot(session_factory, cipher, clock, tmp_path: Path, speaker) -> BotHarness:  # type: ignore[no-untyped-def]
    renderer = VoiceRenderer(speaker, tmp_path / "voice")
    dispatcher = build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, voice_renderer=renderer, files_dir=tmp_path / "files")
    return with_polls(BotHarness(dispatcher))


def alerts(calls) -> list[str]:  # type: ignore[no-untyped-def]
    return [call.text for call in calls if type(call).__name__ == "AnswerCallbackQuery" and call.text]


def buttons(calls) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return [b for call in calls for b in inline_buttons(call)]


def data_of(calls, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [data for _, data in buttons(calls) if data and data.startswith(prefix)]


def calls_named(calls, name: str) -> list:  # type: ignore[no-untyped-def]
    return [call for call in calls if type(call).__name__ == name]


async def published(session, commune: Commune, clock, *, by: str = "committee", title: str = "Về tăng cường củng cố tổ chức cơ sở đảng",  # type: ignore[no-untyped-def]
                    code: str | None = "21-NQ/TW", text: str = TEXT) -> Document:
    member = commune.committee_member if by == "committee" else commune.cells[0].secretary
    org = commune.commune if by == "committee" else commune.cells[0].org
    actor = await load_actor(session, member)
    document = await service.create_draft(
        session, actor=actor, now=clock.now(),
        draft=service.DraftInput(kind=DocumentKind.NQ, title=title, full_text=text, code=code, issued_on=dt.date(2022, 6, 16), org_id=org.id),
    )
    await service.publish(session, actor=actor, document_id=document.id, now=clock.now())
    await session.commit()
    return document


async def outbox(session, source: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.source == source).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


# ---------------------------------------------------------------- reading


async def test_member_reads_saves_studies_and_listens(bot: BotHarness, session, commune, clock, speaker) -> None:
    document = await published(session, commune, clock)
    calls = await bot.text(MEMBER_A, texts.account.BTN_RESOLUTIONS)
    assert R.LIBRARY_TITLE in texts_of(calls)[0]
    assert f"rd:open:{document.id}" in data_of(calls, "rd:")
    assert not data_of(calls, "rm:publish")  # members do not publish

    calls = await bot.press(MEMBER_A, f"rd:open:{document.id}")
    screen = texts_of(calls)[0]
    assert "21-NQ/TW" in screen and "Tóm tắt" in screen and "2030" in screen
    assert {f"rd:listen:{document.id}", f"rd:full:{document.id}", f"rd:save:{document.id}", f"rd:study:{document.id}"} <= set(data_of(calls, "rd:"))

    # ⭐ on the document screen itself redraws it, the button now «bỏ lưu».
    screen_call = next(c for c in calls if getattr(c, "reply_markup", None) is not None)
    calls = await bot.press(MEMBER_A, f"rd:save:{document.id}", message_text=screen, reply_markup=screen_call.reply_markup)
    assert alerts(calls) == [R.SAVED]
    redrawn = [c for c in calls if type(c).__name__ == "EditMessageText"]
    assert redrawn and f"rd:unsave:{document.id}" in [b.callback_data for row in redrawn[0].reply_markup.inline_keyboard for b in row]
    calls = await bot.press(MEMBER_A, "rm:saved")
    assert f"rd:open:{document.id}" in data_of(calls, "rd:")
    calls = await bot.press(MEMBER_A, f"rd:study:{document.id}")
    assert alerts(calls) == [R.STUDIED_THANKS]
    calls = await bot.press(MEMBER_A, f"rd:study:{document.id}")
    assert alerts(calls) == [R.STUDIED_ALREADY]
    member = (await session.execute(select(Member).where(Member.id == commune.cells[0].members[0].id))).scalar_one()
    assert (await session.execute(select(Bookmark).where(Bookmark.member_id == member.id))).scalar_one()
    assert (await session.execute(select(DocumentStudy).where(DocumentStudy.member_id == member.id))).scalar_one()

    # 📄 Toàn văn of a pasted text: the text itself.
    calls = await bot.press(MEMBER_A, f"rd:full:{document.id}")
    assert any("Chú trọng kết nạp" in t for t in texts_of(calls))

    # 🔊, then 🔁 (same note, now by file id, no new synthesis) and 🐢 (slow: one more synthesis).
    calls = await bot.press(MEMBER_A, f"rd:listen:{document.id}")
    voices = calls_named(calls, "SendVoice")
    assert len(voices) == 1 and not isinstance(voices[0].voice, str)
    assert data_of(calls, "rv:") == [f"rv:again:{document.id}", f"rv:slow:{document.id}"]
    calls = await bot.press(MEMBER_A, f"rv:again:{document.id}")
    assert isinstance(calls_named(calls, "SendVoice")[0].voice, str)  # a file id
    calls = await bot.press(MEMBER_A, f"rv:slow:{document.id}")
    assert data_of(calls, "rv:") == [f"rv:again:{document.id}", f"rv:norm:{document.id}"]
    assert sorted({(v, s) for _, v, s in speaker.calls}) == [("vi", "normal"), ("vi", "slow")]
    assert len(speaker.calls) == 2
    assert len((await session.execute(select(MediaFile))).scalars().all()) == 2


async def test_search_forgives_missing_diacritics_and_paging(bot: BotHarness, session, commune, clock) -> None:
    first = await published(session, commune, clock)
    other = await published(session, commune, clock, by="cell", title="Quy định về đảng viên giữ mối liên hệ nơi cư trú", code="339-QĐ/TW")
    await bot.press(MEMBER_A, "rm:search")
    calls = await bot.text(MEMBER_A, "nghi quyet 21")
    assert data_of(calls, "rd:open") == [f"rd:open:{first.id}"]
    await bot.press(MEMBER_A, "rm:search")
    calls = await bot.text(MEMBER_A, "dang vien")
    assert data_of(calls, "rd:open") == [f"rd:open:{other.id}", f"rd:open:{first.id}"]
    await bot.press(MEMBER_A, "rm:search")
    calls = await bot.text(MEMBER_A, "khong co van ban nay")
    assert R.SEARCH_EMPTY.format(query="khong co van ban nay") in texts_of(calls)[0]
    # A member of the other cell never sees the cell's own document.
    await bot.press(MEMBER_B, "rm:search")
    calls = await bot.text(MEMBER_B, "339")
    assert data_of(calls, "rd:open") == []
    # Paging of the results keeps the query.
    calls = await bot.press(MEMBER_A, "rl:f:1")
    assert R.SEARCH_TITLE.format(query="khong co van ban nay") in texts_of(calls)[0]


async def test_forged_and_foreign_buttons_change_nothing(bot: BotHarness, session, commune, clock) -> None:
    cell_doc = await published(session, commune, clock, by="cell")
    for data in (f"rd:open:{cell_doc.id}", f"rd:save:{cell_doc.id}", f"rd:study:{cell_doc.id}", f"rv:again:{cell_doc.id}", f"rd:full:{cell_doc.id}"):
        calls = await bot.press(MEMBER_B, data)
        assert alerts(calls) == [texts.common.NOT_FOUND], data
    calls = await bot.press(OTHER, "rd:open:999999")
    assert alerts(calls) == [texts.common.NOT_FOUND]
    calls = await bot.press(MEMBER_A, "rd:explode:1")
    assert alerts(calls) == [texts.common.STALE_BUTTON]
    calls = await bot.press(MEMBER_A, "rm:publish")
    assert alerts(calls) == [R.NOT_PUBLISHER]
    calls = await bot.press(MEMBER_A, f"rd:camp:{cell_doc.id}")
    assert alerts(calls) == [texts.common.FORBIDDEN]
    assert (await session.execute(select(Bookmark))).scalars().all() == []


async def test_voice_settings_from_the_profile(bot: BotHarness, session, commune) -> None:
    calls = await bot.text(MEMBER_A, texts.account.BTN_PROFILE)
    assert ("🔊 Giọng đọc", "vp:open:-") in buttons(calls)
    calls = await bot.press(MEMBER_A, "vp:open:-")
    assert "Giọng đọc" in texts_of(calls)[0]
    await bot.press(MEMBER_A, "vp:speed:slow")
    await bot.press(MEMBER_A, "vp:voice:vi-vn-x-south")
    calls = await bot.press(MEMBER_A, "vp:off:-")
    assert alerts(calls) == [R.VOICE_SAVED]
    member = (await session.execute(select(Member).where(Member.id == commune.cells[0].members[0].id).execution_options(populate_existing=True))).scalar_one()
    assert (member.speech_speed, member.voice_name, member.voice_enabled) == (SpeechSpeed.SLOW, "vi-vn-x-south", False)
    calls = await bot.press(MEMBER_A, "vp:voice:fr")
    assert alerts(calls) == [R.BAD_VOICE]
    calls = await bot.press(MEMBER_A, "vp:sample:-")
    assert len(calls_named(calls, "SendVoice")) == 1


# ---------------------------------------------------------------- publishing


async def start(bot: BotHarness, user: int, *, code: str = "21-nq/tw", title: str = "Về tăng cường củng cố, xây dựng tổ chức cơ sở đảng") -> None:
    await bot.text(user, texts.account.BTN_RESOLUTIONS)
    calls = await bot.press(user, "rm:publish")
    assert R.PUBLISH_KIND in texts_of(calls)
    assert "rpk:QD" in data_of(calls, "rpk:")
    calls = await bot.press(user, "rpk:NQ")
    assert R.PUBLISH_CODE in texts_of(calls)
    calls = await bot.text(user, code)
    assert R.PUBLISH_DATE in texts_of(calls)
    calls = await bot.text(user, "16/6/2022")
    assert R.PUBLISH_TITLE in texts_of(calls)
    calls = await bot.text(user, title)
    assert any("Toàn văn" in t for t in texts_of(calls))


async def test_secretary_publishes_pasted_text_with_own_summary(bot: BotHarness, session, commune, clock, speaker) -> None:
    await start(bot, SECRETARY_A)
    await bot.text(SECRETARY_A, TEXT[:300])
    calls = await bot.text(SECRETARY_A, TEXT[300:])
    assert "rps:textdone" in data_of(calls, "rps:")
    calls = await bot.press(SECRETARY_A, "rps:textdone")
    assert any("Bước 6/6" in t for t in texts_of(calls))
    assert "rps:keep" in data_of(calls, "rps:")
    calls = await bot.text(SECRETARY_A, "Chi bộ học tập Nghị quyết 21. Mỗi đảng viên nghiên cứu và thực hiện.")
    preview = "\n".join(texts_of(calls))
    assert "Xem lại" in preview and "Chi bộ thôn Khe Gầy" in preview and "Mỗi đảng viên nghiên cứu" in preview
    calls = await bot.press(SECRETARY_A, "rps:hear")
    assert len(calls_named(calls, "SendVoice")) == 1
    calls = await bot.press(SECRETARY_A, "rps:send")
    assert any("Đã gửi văn bản" in t for t in texts_of(calls))
    document = (await session.execute(select(Document))).scalar_one()
    assert document.state == DocumentState.PUBLISHED and document.code == "21-NQ/TW" and document.issued_on == dt.date(2022, 6, 16)
    assert document.summary.startswith("Chi bộ học tập")
    rows = await outbox(session, f"document:{document.id}")
    recipients = len(commune.cells[0].everyone) - 1 + 1  # the cell (not the secretary) + the committee member living there
    assert len([r for r in rows if r.idempotency_key.endswith("|summary")]) == recipients
    voice_rows = [r for r in rows if "|voice" in r.idempotency_key]
    assert len(voice_rows) == recipients
    assert {OutboundMessage.from_payload(r.payload).attachment.cache_key for r in voice_rows} == {
        OutboundMessage.from_payload(voice_rows[0].payload).attachment.cache_key
    }
    assert len(speaker.calls) == 1  # the preview the secretary heard was the one synthesis
    # Everyone in the cell sees it in the library; the other cell does not.
    calls = await bot.text(MEMBER_A, texts.account.BTN_RESOLUTIONS)
    assert f"rd:open:{document.id}" in data_of(calls, "rd:")
    calls = await bot.text(MEMBER_B, texts.account.BTN_RESOLUTIONS)
    assert data_of(calls, "rd:open") == []


async def test_committee_publishes_a_pdf_to_the_whole_commune(bot: BotHarness, session, commune, clock, tmp_path: Path) -> None:
    await start(bot, COMMITTEE)
    pdf = pdf_with_text([
        "Nghi quyet ve tang cuong cong tac dang vien trong giai doan moi cua dang bo xa.\n"
        "Phan dau den nam 2030 tat ca chi bo hoan thanh tot nhiem vu duoc giao.",
        "Cac chi bo to chuc hoc tap nghi quyet trong thang muoi hai nam nay.\n"
        "Moi dang vien nghien cuu ky va thuc hien nghiem tuc noi dung nghi quyet.\n"
        "Cap uy kiem tra, giam sat viec thuc hien va bao cao ket qua hang thang.",
    ])
    calls = await bot.document(COMMITTEE, pdf, "nghi-quyet.pdf", "application/pdf")
    assert any("Bước 6/6" in t for t in texts_of(calls))
    calls = await bot.press(COMMITTEE, "rps:keep")
    targets = data_of(calls, "rpt:")
    assert f"rpt:{commune.commune.id}" in targets and f"rpt:{commune.cells[0].org.id}" in targets
    assert f"rpt:{commune.other_province.id}" not in targets
    calls = await bot.press(COMMITTEE, f"rpt:{commune.commune.id}")
    assert any("Đảng bộ xã Mù Cang Chải" in t for t in texts_of(calls))
    calls = await bot.press(COMMITTEE, "rps:send")
    document = (await session.execute(select(Document))).scalar_one()
    assert document.org_id == commune.commune.id and document.file_mime == "application/pdf"
    assert Path(document.file_path).exists() and Path(document.file_path).is_relative_to(tmp_path / "files")
    assert "2030" in document.full_text
    rows = await outbox(session, f"document:{document.id}")
    assert len([r for r in rows if r.idempotency_key.endswith("|summary")]) == len(commune.cells[0].everyone) + len(commune.cells[1].everyone)
    # 📄 Toàn văn sends the original file, then by file id.
    calls = await bot.press(MEMBER_B, f"rd:full:{document.id}")
    sent = calls_named(calls, "SendDocument")
    assert len(sent) == 1 and not isinstance(sent[0].document, str)
    calls = await bot.press(MEMBER_A, f"rd:full:{document.id}")
    assert isinstance(calls_named(calls, "SendDocument")[0].document, str)


async def test_bad_files_are_refused_with_a_way_forward(bot: BotHarness, session, commune) -> None:
    await start(bot, SECRETARY_A)
    calls = await bot.document(SECRETARY_A, pdf_scanned(2), "scan.pdf", "application/pdf")
    assert R.PDF_SCANNED in texts_of(calls)
    calls = await bot.document(SECRETARY_A, zip_bomb(200), "nghi-quyet.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert R.DOCX_BOMB in texts_of(calls)
    calls = await bot.document(SECRETARY_A, pdf_with_text(["Trang."] * 150), "dai.pdf", "application/pdf")
    assert any("150 trang" in t for t in texts_of(calls))
    calls = await bot.document(SECRETARY_A, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "cu.doc", "application/msword")
    assert R.FILE_OLD_DOC in texts_of(calls)
    assert (await session.execute(select(Document))).scalars().all() == []
    # Still on the same step: a good .docx goes through.
    data = docx_bytes(["Kế hoạch học tập nghị quyết của chi bộ trong tháng mười hai năm nay.", "Mỗi đảng viên nghiên cứu và viết thu hoạch."])
    calls = await bot.document(SECRETARY_A, data, "ke-hoach.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert any("Bước 6/6" in t for t in texts_of(calls))
    # Cancelling drops the draft.
    await bot.press(SECRETARY_A, "rps:cancel")
    assert (await session.execute(select(Document).execution_options(populate_existing=True))).scalars().all() == []


async def test_typos_and_leaving_the_flow(bot: BotHarness, session, commune) -> None:
    await bot.text(SECRETARY_A, texts.account.BTN_RESOLUTIONS)
    await bot.press(SECRETARY_A, "rm:publish")
    await bot.press(SECRETARY_A, "rpk:NQ")
    calls = await bot.text(SECRETARY_A, "NQ không số")
    assert R.CODE_INVALID in texts_of(calls)
    await bot.press(SECRETARY_A, "rps:skipcode")
    calls = await bot.text(SECRETARY_A, "31/02/2022")
    assert R.DATE_INVALID in texts_of(calls)
    calls = await bot.text(SECRETARY_A, "1/1/2099")
    assert R.DATE_IN_FUTURE in texts_of(calls)
    await bot.press(SECRETARY_A, "rps:today")
    calls = await bot.text(SECRETARY_A, "ab")
    assert R.TITLE_TOO_SHORT in texts_of(calls)
    # /start leaves the flow: what is typed next is not taken as the title.
    await bot.text(SECRETARY_A, "/start")
    calls = await bot.text(SECRETARY_A, "Tên văn bản gõ sau khi đã rời")
    assert not any("Bước 5/6" in t for t in texts_of(calls))
    calls = await bot.press(SECRETARY_A, "rpk:NQ")
    assert alerts(calls) == [texts.common.STALE_BUTTON]

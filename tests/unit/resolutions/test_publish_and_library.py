"""Publishing through the outbox with one synthesis per (text, voice, speed); the library's
visibility, diacritic-free search (SQLite and PostgreSQL), bookmarks and «Tôi đã nghiên cứu»."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import MediaFile, OutboxMessage
from core.delivery.worker import DeliveryWorker
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.orgs.models import SpeechSpeed
from core.orgs.service import load_actor
from core.ports import CollectingMessenger, OutboundMessage
from core.resolutions import service
from core.resolutions.models import DocumentKind, DocumentState
from core.resolutions.voice import render_variants
from tests.unit.resolutions.helpers import CountingSpeaker
from voice.service import VoiceRenderer

TEXT = (
    "Nghị quyết về tăng cường củng cố, xây dựng tổ chức cơ sở đảng và nâng cao chất lượng đội ngũ đảng viên. "
    "Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ. "
    "Đổi mới, nâng cao chất lượng sinh hoạt chi bộ. Tăng cường quản lý đảng viên bằng sổ tay điện tử. "
    "Chú trọng kết nạp đảng viên là người dân tộc thiểu số. Các cấp ủy thường xuyên kiểm tra, giám sát."
)
UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)



async def draft(session, actor, *, org_id: int, title: str = "Về tăng cường củng cố tổ chức cơ sở đảng", code: str | None = "21-nq/tw", text: str = TEXT, now):  # type: ignore[no-untyped-def]
    return await service.create_draft(
        session, actor=actor, now=now,
        draft=service.DraftInput(kind=DocumentKind.NQ, title=title, full_text=text, code=code, issued_on=dt.date(2022, 6, 16), org_id=org_id),
    )


async def publish(session, actor, document, renderer, now):  # type: ignore[no-untyped-def]
    variants = await service.voice_variants(session, actor=actor, document_id=document.id)
    notes = await render_variants(renderer, document.summary, variants)
    return await service.publish(session, actor=actor, document_id=document.id, now=now, voices=notes)


async def test_publishing_to_a_commune_renders_once_per_variant_and_uploads_once(session, session_factory, commune, clock, tmp_path: Path) -> None:
    # Members' preferences: most default (vi, normal); two want it slow; one southern; one no voice.
    cell_a, cell_b = commune.cells
    cell_a.members[0].speech_speed = SpeechSpeed.SLOW
    cell_b.members[0].speech_speed = SpeechSpeed.SLOW
    cell_a.members[1].voice_name = "vi-vn-x-south"
    cell_b.members[1].voice_enabled = False
    await session.commit()
    actor = await load_actor(session, commune.committee_member)
    document = await draft(session, actor, org_id=commune.commune.id, now=clock.now())
    assert document.code == "21-NQ/TW" and document.state == DocumentState.DRAFT
    assert 1 <= len(document.summary.split("\n")) <= 8

    speaker = CountingSpeaker()
    renderer = VoiceRenderer(speaker, tmp_path / "voice")
    result = await publish(session, actor, document, renderer, clock.now())
    await session.commit()

    recipients = len(cell_a.everyone) + len(cell_b.everyone)  # the publisher excluded
    assert result.recipients == recipients and result.queued == recipients and result.unlinked == 0
    assert sorted((v, s) for _, v, s in speaker.calls) == [("vi", "normal"), ("vi", "slow"), ("vi-vn-x-south", "normal")]
    assert result.voice_variants == 3

    rows = list((await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"document:{document.id}"))).scalars())
    summaries = [r for r in rows if r.idempotency_key.endswith("|summary")]
    voices = [r for r in rows if "|voice" in r.idempotency_key]
    assert len(summaries) == recipients
    assert len(voices) == recipients - 1  # the member who turned voice off gets text only
    keys = {OutboundMessage.from_payload(r.payload).attachment.cache_key for r in voices}
    assert len(keys) == 3
    for row in voices:
        attachment = OutboundMessage.from_payload(row.payload).attachment
        assert attachment.kind == "voice" and attachment.path and Path(attachment.path).exists() and attachment.duration >= 1
    buttons = [b.callback_data for row in OutboundMessage.from_payload(voices[0].payload).buttons for b in row]
    assert buttons[0] == f"rv:again:{document.id}" and buttons[1] in (f"rv:slow:{document.id}", f"rv:norm:{document.id}")
    summary_buttons = [b.callback_data for row in OutboundMessage.from_payload(summaries[0].payload).buttons for b in row]
    assert f"rd:full:{document.id}" in summary_buttons and f"rd:study:{document.id}" in summary_buttons

    # The delivery worker: one upload per note, every other voice message by file id.
    messenger = CollectingMessenger()
    worker = DeliveryWorker(session_factory, messenger, LocalTokenBucket(UNLIMITED), clock)
    await worker.drain()
    sent_voices = [m for _, m in messenger.sent if m.attachment is not None]
    assert len(sent_voices) == recipients - 1
    uploads = [m for m in sent_voices if m.attachment.file_id is None]
    assert len(uploads) == 3
    assert len((await session.execute(select(MediaFile))).scalars().all()) == 3

    # Publishing it again is refused; the same text again reuses the audio cache.
    with pytest.raises(Conflict):
        await service.publish(session, actor=actor, document_id=document.id, now=clock.now())
    second = await draft(session, actor, org_id=commune.commune.id, title="Bản sao để kiểm tra bộ nhớ đệm", now=clock.now())
    await publish(session, actor, second, renderer, clock.now())
    assert len(speaker.calls) == 3


async def test_publish_refuses_empty_summary_foreign_org_and_non_managers(session, commune, clock) -> None:
    secretary_a = await load_actor(session, commune.cells[0].secretary)
    member = await load_actor(session, commune.cells[0].members[0])
    with pytest.raises(PermissionDenied):
        await draft(session, member, org_id=commune.cells[0].org.id, now=clock.now())
    with pytest.raises(NotFound):  # another cell: not hers to know of
        await draft(session, secretary_a, org_id=commune.cells[1].org.id, now=clock.now())
    with pytest.raises(PermissionDenied):
        await draft(session, secretary_a, org_id=commune.commune.id, now=clock.now())
    with pytest.raises(InvalidInput):
        await draft(session, secretary_a, org_id=commune.cells[0].org.id, text="   \n ", now=clock.now())
    with pytest.raises(InvalidInput):
        await draft(session, secretary_a, org_id=commune.cells[0].org.id, code="NQ ???", now=clock.now())
    document = await draft(session, secretary_a, org_id=commune.cells[0].org.id, now=clock.now())
    with pytest.raises(InvalidInput) as empty:
        await service.update_draft(session, actor=secretary_a, document_id=document.id, summary="  \n  ", now=clock.now())
    assert empty.value.message == texts.resolutions.SUMMARY_EMPTY
    # Another secretary cannot touch or publish this draft.
    secretary_b = await load_actor(session, commune.cells[1].secretary)
    with pytest.raises(NotFound):
        await service.publish(session, actor=secretary_b, document_id=document.id, now=clock.now())
    # Text only when no voice was rendered.
    result = await service.publish(session, actor=secretary_a, document_id=document.id, now=clock.now())
    assert result.voice_variants == 0 and result.recipients == len(commune.cells[0].everyone) + 1 - 1


async def test_visibility_search_bookmarks_and_study(session, commune, clock) -> None:
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    secretary_a = await load_actor(session, commune.cells[0].secretary)
    other = await load_actor(session, commune.other_cell.secretary)
    commune_doc = await draft(session, committee, org_id=commune.commune.id, now=now)
    await service.publish(session, actor=committee, document_id=commune_doc.id, now=now)
    later = now + dt.timedelta(hours=1)
    cell_doc = await draft(
        session, secretary_a, org_id=commune.cells[0].org.id, title="Quy định về đảng viên giữ mối liên hệ với nơi cư trú",
        code="339-QĐ/TW", text="Đảng viên đang công tác phải giữ mối liên hệ với chi ủy nơi cư trú. Báo cáo định kỳ với chi bộ.", now=later,
    )
    await service.publish(session, actor=secretary_a, document_id=cell_doc.id, now=later)
    unpublished = await draft(session, secretary_a, org_id=commune.cells[0].org.id, title="Bản nháp chưa gửi", now=later)

    member_a = await load_actor(session, commune.cells[0].members[0])
    member_b = await load_actor(session, commune.cells[1].members[0])
    page = await service.library(session, actor=member_a)
    assert [d.id for d in page.items] == [cell_doc.id, commune_doc.id]  # newest first
    assert [d.id for d in (await service.library(session, actor=member_b)).items] == [commune_doc.id]
    assert (await service.library(session, actor=other)).total == 0
    assert (await service.library(session, actor=committee)).total == 2  # manages the whole commune
    for actor in (member_b, other):
        with pytest.raises(NotFound):
            await service.readable(session, actor=actor, document_id=cell_doc.id)
    with pytest.raises(NotFound):
        await service.readable(session, actor=member_a, document_id=unpublished.id)

    async def found(query: str, actor=member_a) -> list[int]:  # type: ignore[no-untyped-def]
        return [d.id for d in (await service.library(session, actor=actor, query=query)).items]

    assert await found("nghi quyet 21") == [commune_doc.id]
    assert await found("NGHỊ QUYẾT 21-NQ/TW") == [commune_doc.id]
    assert await found("dang vien") == [cell_doc.id, commune_doc.id]  # title match first
    assert await found("339") == [cell_doc.id]
    assert await found("cu tru") == [cell_doc.id]
    assert await found("ĐẢNG VIÊN NOI CU TRU") == [cell_doc.id]
    assert await found("khong co gi") == []
    assert await found("339", actor=member_b) == []
    assert await found("50%_'") == []
    with pytest.raises(InvalidInput):
        await service.library(session, actor=member_a, query=" ?! ")

    assert await service.set_bookmark(session, actor=member_a, document_id=commune_doc.id, on=True, now=now)
    assert not await service.set_bookmark(session, actor=member_a, document_id=commune_doc.id, on=True, now=now)
    assert [d.id for d in (await service.library(session, actor=member_a, saved=True)).items] == [commune_doc.id]
    assert (await service.library(session, actor=member_b, saved=True)).total == 0
    with pytest.raises(NotFound):
        await service.set_bookmark(session, actor=member_b, document_id=cell_doc.id, on=True, now=now)
    assert await service.set_bookmark(session, actor=member_a, document_id=commune_doc.id, on=False, now=now)
    assert (await service.library(session, actor=member_a, saved=True)).total == 0

    assert await service.confirm_studied(session, actor=member_a, document_id=commune_doc.id, now=now)
    assert not await service.confirm_studied(session, actor=member_a, document_id=commune_doc.id, now=now)
    view = await service.reader_view(session, actor=member_a, document_id=commune_doc.id)
    assert view.studied_at == now and not view.may_manage
    assert (await service.reader_view(session, actor=secretary_a, document_id=commune_doc.id)).may_manage


async def test_paging(session, commune, clock) -> None:
    secretary = await load_actor(session, commune.cells[0].secretary)
    for n in range(12):
        document = await draft(session, secretary, org_id=commune.cells[0].org.id, title=f"Thông báo số {n + 1} của chi bộ", code=None, now=clock.now())
        await service.publish(session, actor=secretary, document_id=document.id, now=clock.now() + dt.timedelta(minutes=n))
    member = await load_actor(session, commune.cells[0].members[0])
    first = await service.library(session, actor=member, page=1)
    last = await service.library(session, actor=member, page=99)
    assert (first.total, first.pages, len(first.items)) == (12, 3, 5)
    assert first.items[0].title == "Thông báo số 12 của chi bộ"
    assert (last.page, len(last.items)) == (3, 2)


def test_codes_dates_and_kinds() -> None:
    assert service.clean_code(" 21 - nq / tw ") == "21-NQ/TW"
    assert service.clean_code("11-đa/tu") == "11-ĐA/TU"
    assert service.clean_code("") is None
    assert service.kind_from_code("339-QĐ/TW") == DocumentKind.QD
    assert service.kind_from_code("xyz") is None
    for bad in ("NQ/TW", "<b>1</b>", "1" * 60):
        with pytest.raises(InvalidInput):
            service.clean_code(bad)
    today = dt.date(2026, 11, 23)
    assert service.parse_day("16/6/2022", today=today) == dt.date(2022, 6, 16)
    assert service.parse_day("16.06.22", today=today) == dt.date(2022, 6, 16)
    assert service.parse_day("2022-06-16", today=today) == dt.date(2022, 6, 16)
    for bad in ("31/2/2022", "hôm qua", "1/1/2027"):
        with pytest.raises(InvalidInput):
            service.parse_day(bad, today=today)


async def test_renders_count_cache_hits_and_misses_on_metrics(tmp_path: Path) -> None:
    from core import metrics

    renderer = VoiceRenderer(CountingSpeaker(), tmp_path / "voice")
    hits, misses = metrics.TTS_CACHE_HITS._value.get(), metrics.TTS_CACHE_MISSES._value.get()
    await render_variants(renderer, TEXT, [("vi", "normal"), ("vi", "slow")])  # both synthesised
    await render_variants(renderer, TEXT, [("vi", "normal")])  # from the cache
    assert (metrics.TTS_CACHE_HITS._value.get() - hits, metrics.TTS_CACHE_MISSES._value.get() - misses) == (1, 2)

"""Notice rules without a front end: audience, limits, idempotency, progress and reports."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.delivery.models import OutboxMessage, OutboxState
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.notices import render, service
from core.notices.models import AttachmentKind, NoticeStatus
from core.orgs.models import OrgKind
from core.orgs.service import create_org, load_actor
from tests.factories import Commune, add_member, make_cell, make_commune


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    return await make_commune(session, cipher, linked=True)


async def test_audience_leaves_out_the_inactive_the_exempt_and_the_author(session, cipher, commune, clock) -> None:
    cell = commune.cells[0]
    gone = await add_member(session, cipher, cell.org, "Đã chuyển đi", link_to=1201)
    gone.active = False
    exempt = await add_member(session, cipher, cell.org, "Miễn", exempt=True, link_to=1202)
    exempt.exempt_receives_notices = False  # exempt members receive notices unless they stopped them (👤 Hồ sơ)
    actor = await load_actor(session, cell.secretary)
    preview = await service.preview(session, actor=actor, org_id=cell.org.id)
    assert (preview.total, preview.unlinked) == (6, 0)
    notice = await service.create_notice(session, actor=actor, org_id=cell.org.id, text="Nội dung", now=clock.now())
    members = set((await session.execute(select(OutboxMessage.member_id))).scalars())
    assert cell.secretary.id not in members and gone.id not in members and len(members) == 6
    assert notice.recipients_total == notice.recipients_linked == 6


async def test_a_committee_reaches_deeper_organisations_but_a_cell_cannot_reach_up(session, cipher, commune, clock) -> None:
    hamlet_group = await create_org(session, name="Đảng bộ cơ sở Trường học", kind=OrgKind.COMMITTEE, parent=commune.commune)
    deep = await make_cell(session, cipher, hamlet_group, "Chi bộ giáo viên", size=2, user_id_base=3001)
    committee = await load_actor(session, commune.committee_member)
    targets = await service.targets_for(session, actor=committee)
    assert [t.org.name for t in targets][:1] == [commune.commune.name] and any(t.org.id == hamlet_group.id and t.whole_subtree for t in targets)
    notice = await service.create_notice(session, actor=committee, org_id=deep.org.id, text="Chỉ chi bộ giáo viên", now=clock.now())
    assert notice.recipients_total == 4
    secretary = await load_actor(session, commune.cells[0].secretary)
    with pytest.raises(PermissionDenied):
        await service.create_notice(session, actor=secretary, org_id=commune.commune.id, text="Lên trên", now=clock.now())
    with pytest.raises(NotFound):
        await service.preview(session, actor=secretary, org_id=987654)
    assert [t.org.id for t in await service.targets_for(session, actor=secretary)] == [commune.cells[0].org.id]


def test_text_limits() -> None:
    assert service.clean_text("  Họp  ", with_attachment=False) == "Họp"
    assert service.clean_text(None, with_attachment=True) == ""
    with pytest.raises(InvalidInput):
        service.clean_text(" \n ", with_attachment=False)
    with pytest.raises(InvalidInput):
        service.clean_text("x" * (service.MAX_TEXT_CHARS + 1), with_attachment=False)
    with pytest.raises(InvalidInput):
        service.clean_text("x" * (service.MAX_CAPTION_CHARS + 1), with_attachment=True)
    # Long names in the header and footer leave less room in a 1024-character caption.
    assert service.clean_text("x" * 800, with_attachment=True, org_name="a" * 100, author_name="b" * 50)
    with pytest.raises(InvalidInput, match="664"):
        service.clean_text("x" * 800, with_attachment=True, org_name="a" * 200, author_name="b" * 100)


async def test_request_keys_are_per_author(session, commune, clock) -> None:
    secretary = await load_actor(session, commune.cells[0].secretary)
    deputy = await load_actor(session, commune.cells[0].deputy)
    first = await service.create_notice(session, actor=secretary, org_id=commune.cells[0].org.id, text="A", now=clock.now(), request_key="k1")
    again = await service.create_notice(session, actor=secretary, org_id=commune.cells[0].org.id, text="A", now=clock.now(), request_key="k1")
    assert again.id == first.id
    with pytest.raises(Conflict):
        await service.create_notice(session, actor=deputy, org_id=commune.cells[0].org.id, text="A", now=clock.now(), request_key="k1")


async def test_the_member_message_escapes_the_authors_words_and_carries_the_file(session, commune, clock) -> None:
    secretary = await load_actor(session, commune.cells[0].secretary)
    notice = await service.create_notice(
        session, actor=secretary, org_id=commune.cells[0].org.id, text="<b>Họp</b> & bàn", now=clock.now(),
        attachment=service.NoticeAttachment(AttachmentKind.DOCUMENT, "BQACAgIAAxk"),
    )
    row = (await session.execute(select(OutboxMessage).limit(1))).scalar_one()
    assert "&lt;b&gt;Họp&lt;/b&gt; &amp; bàn" in row.payload["text"]
    assert row.payload["attachment"] == {"kind": "document", "file_id": "BQACAgIAAxk"}
    assert row.payload["buttons"] == [[{"text": "✅ Đã xem", "callback_data": f"nts:{notice.id}", "url": None}],
                                      # words to hear: a person's reading by language, else the machine voice
                                      [{"text": "🔊 Nghe", "callback_data": f"rs:listen:notice:{notice.id}:", "url": None}]]
    assert render.excerpt(notice) == "[Tệp] &lt;b&gt;Họp&lt;/b&gt; &amp; bàn"


async def test_progress_and_report_follow_the_outbox(session, cipher, commune, clock) -> None:
    cell = commune.cells[0]
    await add_member(session, cipher, cell.org, "Không Telegram")
    secretary = await load_actor(session, cell.secretary)
    notice = await service.create_notice(session, actor=secretary, org_id=cell.org.id, text="Báo cáo", now=clock.now())
    rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    rows[0].state, rows[1].state, rows[2].state = OutboxState.SENT, OutboxState.UNREACHABLE, OutboxState.FAILED
    await session.flush()
    await service.confirm_seen(session, member=cell.deputy, notice_id=notice.id, now=clock.now())
    progress = await service.progress_of(session, notice)
    assert (progress.total, progress.linked, progress.unlinked, progress.sent, progress.pending, progress.seen) == (7, 6, 1, 1, 3, 1)
    assert not progress.finished
    await service.cancel_notice(session, actor=secretary, notice_id=notice.id, now=clock.now())
    report = await service.report_for(session, actor=secretary, notice_id=notice.id)
    assert report.unlinked == ["Không Telegram"] and len(report.unreachable) == 1 and len(report.failed) == 1
    assert report.progress.cancelled == 3 and report.notice.status == NoticeStatus.CANCELLED
    text = service.report_text(report)
    assert "Không Telegram" in text and "(3)" in text

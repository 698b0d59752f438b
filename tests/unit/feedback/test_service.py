"""Sending, answering, forwarding and closing feedback; what each step puts in the outbox."""

import datetime as dt

import pytest
from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.feedback import service
from core.feedback.models import FeedbackForward, FeedbackItem, FeedbackKind, FeedbackReply, FeedbackState
from core.ports import OutboundMessage
from tests.factories import add_member


async def outbox(session, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list((await session.execute(query)).scalars())


async def test_reference_reads_kind_year_and_number(session, commune, send) -> None:
    member = commune.cells[0].members[0]
    comment = await send(member)
    report = await send(member, kind=FeedbackKind.REPORT)
    proposal = await send(member, kind=FeedbackKind.PROPOSAL)
    assert comment.reference == f"GY-2026-{comment.id:06d}"
    assert report.reference == f"PA-2026-{report.id:06d}"
    assert proposal.reference == f"ĐX-2026-{proposal.id:06d}"


async def test_reference_year_is_the_local_year(session, commune, send, clock) -> None:
    # 31/12/2026 18:00 UTC is already 01/01/2027 in Hà Nội.
    clock.set(dt.datetime(2026, 12, 31, 18, 0, tzinfo=dt.timezone.utc))
    item = await send(commune.cells[0].members[0])
    assert item.reference.startswith("GY-2027-")


async def test_recipients_are_own_cell_and_committee_above(session, commune, actor_of) -> None:
    actor = await actor_of(commune.cells[0].members[0])
    assert [org.id for org in await service.recipients_for(session, actor=actor)] == [commune.cells[0].org.id, commune.commune.id]


async def test_sending_elsewhere_is_refused(session, commune, actor_of, clock) -> None:
    actor = await actor_of(commune.cells[0].members[0])
    # Above her: refused with the reason; another cell or province: it does not exist for her.
    for org, refused in ((commune.cells[1].org, NotFound), (commune.province, PermissionDenied), (commune.other_cell.org, NotFound)):
        with pytest.raises(refused) as refusal:
            await service.submit(
                session, actor=actor, kind=FeedbackKind.COMMENT, org_id=org.id, content=service.Content(text="x"), now=clock.now()
            )
        if refused is PermissionDenied:
            assert refusal.value.message == texts.feedback.RECIPIENT_INVALID
    assert (await session.execute(select(FeedbackItem))).first() is None


async def test_cell_leaders_are_notified_with_an_open_button(session, commune, send) -> None:
    cell = commune.cells[0]
    item = await send(cell.members[0], "Đường <b>hỏng</b> & lầy")
    rows = await outbox(session, "feedback_new")
    assert sorted(r.member_id for r in rows) == sorted([cell.secretary.id, cell.deputy.id])
    message = OutboundMessage.from_payload(rows[0].payload)
    assert item.reference in message.text and cell.members[0].full_name in message.text
    assert "Đường &lt;b&gt;hỏng&lt;/b&gt; &amp; lầy" in message.text
    assert message.buttons[0][0].callback_data == f"fbi:open:{item.id}"
    assert rows[0].source == f"feedback:{item.id}"


async def test_committee_members_are_notified_for_items_to_the_committee(session, commune, send) -> None:
    item = await send(commune.cells[1].members[0], to_parent=True)
    rows = await outbox(session, "feedback_new")
    assert [r.member_id for r in rows] == [commune.committee_member.id]
    assert item.addressed_org_id == item.current_org_id == commune.commune.id


async def test_a_secretary_sending_to_own_cell_notifies_the_deputy_only(session, commune, send) -> None:
    cell = commune.cells[0]
    await send(cell.secretary)
    assert [r.member_id for r in await outbox(session, "feedback_new")] == [cell.deputy.id]


async def test_text_limits_refuse_without_truncating(session, commune, send) -> None:
    member = commune.cells[0].members[0]
    with pytest.raises(InvalidInput) as empty:
        await send(member, "   \n ")
    assert empty.value.message == texts.feedback.TEXT_EMPTY
    with pytest.raises(InvalidInput) as long:
        await send(member, "a" * 10_000)
    assert "10000" in long.value.message and "4000" in long.value.message
    item = await send(member, "  " + "a" * 4000 + "  ")
    assert item.text == "a" * 4000


async def test_voice_and_photo_limits(session, commune, send) -> None:
    member = commune.cells[0].members[0]
    voice = await send(member, "", voice_file_id="v1", voice_duration=300, file_size=10 * 1024 * 1024)
    assert voice.text is None and voice.voice_duration == 300
    with pytest.raises(InvalidInput) as too_long:
        await send(member, "", voice_file_id="v2", voice_duration=301)
    assert "5 phút" in too_long.value.message
    with pytest.raises(InvalidInput) as too_big:
        await send(member, "", photo_file_id="p1", file_size=10 * 1024 * 1024 + 1)
    assert "10 MB" in too_big.value.message
    photo = await send(member, "Ảnh con đường", photo_file_id="p2", file_size=200_000)
    assert photo.has_photo and photo.text == "Ảnh con đường"


async def test_reply_reaches_the_member_with_the_reference(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    item = await send(cell.members[0])
    clock.advance(hours=2)
    secretary = await actor_of(cell.secretary)
    _, answer = await service.reply(session, actor=secretary, item_id=item.id, content=service.Content(text="Chi bộ đã ghi nhận."), now=clock.now())
    assert (item.state, item.answered_at) == (FeedbackState.ANSWERED, clock.now())
    [row] = await outbox(session, "feedback_reply")
    message = OutboundMessage.from_payload(row.payload)
    assert row.member_id == cell.members[0].id and row.source == f"feedback:{item.id}" and row.idempotency_key.endswith(f"|{answer.id}")
    assert item.reference in message.text and "Chi bộ đã ghi nhận." in message.text and cell.secretary.full_name in message.text
    assert message.attachment is None


async def test_voice_reply_carries_the_voice_by_file_id(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    item = await send(cell.members[0])
    secretary = await actor_of(cell.deputy)
    await service.reply(
        session, actor=secretary, item_id=item.id, content=service.Content(voice_file_id="tg-voice-1", voice_duration=12), now=clock.now()
    )
    [row] = await outbox(session, "feedback_reply")
    message = OutboundMessage.from_payload(row.payload)
    assert message.attachment is not None
    assert (message.attachment.kind, message.attachment.file_id, message.attachment.duration) == ("voice", "tg-voice-1", 12)
    assert item.reference in message.text


async def test_second_reply_keeps_first_answer_time(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    item = await send(cell.members[0])
    secretary = await actor_of(cell.secretary)
    first = clock.now()
    await service.reply(session, actor=secretary, item_id=item.id, content=service.Content(text="Một"), now=first)
    clock.advance(days=1)
    await service.reply(session, actor=secretary, item_id=item.id, content=service.Content(text="Hai"), now=clock.now())
    assert item.answered_at == first
    assert len(await outbox(session, "feedback_reply")) == 2


async def test_reply_refuses_bad_content(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    item = await send(cell.members[0])
    secretary = await actor_of(cell.secretary)
    for content in (
        service.Content(text=" "),
        service.Content(text="x" * 3501),
        service.Content(photo_file_id="p"),
        service.Content(voice_file_id="v", voice_duration=10, text="x" * 801),
        service.Content(voice_file_id="v", voice_duration=301),
    ):
        with pytest.raises(InvalidInput):
            await service.reply(session, actor=secretary, item_id=item.id, content=content, now=clock.now())
    assert item.state == FeedbackState.OPEN
    assert (await session.execute(select(FeedbackReply))).first() is None


async def test_forward_moves_the_item_up_and_tells_everyone(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    item = await send(cell.members[0])
    secretary = await actor_of(cell.secretary)
    await service.reply(session, actor=secretary, item_id=item.id, content=service.Content(text="Chi bộ sẽ báo cáo lên xã."), now=clock.now())
    _, record = await service.forward(session, actor=secretary, item_id=item.id, note="Vượt thẩm quyền chi bộ", now=clock.now())
    assert (item.current_org_id, item.addressed_org_id, item.state) == (commune.commune.id, cell.org.id, FeedbackState.OPEN)
    assert (record.from_org_id, record.to_org_id, record.by_id) == (cell.org.id, commune.commune.id, cell.secretary.id)
    committee_notice = [r for r in await outbox(session, "feedback_new") if r.member_id == commune.committee_member.id]
    assert len(committee_notice) == 1 and "Vượt thẩm quyền chi bộ" in committee_notice[0].payload["text"]
    [author_notice] = await outbox(session, "feedback_status")
    assert author_notice.member_id == cell.members[0].id and item.reference in author_notice.payload["text"]
    # Now the cell only reads; the commune answers.
    with pytest.raises(PermissionDenied):
        await service.reply(session, actor=secretary, item_id=item.id, content=service.Content(text="x"), now=clock.now())
    committee = await actor_of(commune.committee_member)
    await service.reply(session, actor=committee, item_id=item.id, content=service.Content(text="Xã sẽ sửa đường."), now=clock.now())
    assert item.state == FeedbackState.ANSWERED


async def test_forward_beyond_the_root_is_refused(session, commune, send, actor_of, clock, cipher) -> None:
    from core.orgs.models import OrgRole, RoleKind

    item = await send(commune.cells[0].members[0], to_parent=True)
    committee = await actor_of(commune.committee_member)
    await service.forward(session, actor=committee, item_id=item.id, now=clock.now())
    assert item.current_org_id == commune.province.id
    provincial = await add_member(session, cipher, commune.cells[1].org, "Tỉnh ủy viên")
    session.add(OrgRole(member_id=provincial.id, org_id=commune.province.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.flush()
    with pytest.raises(Conflict) as refusal:
        await service.forward(session, actor=await actor_of(provincial), item_id=item.id, now=clock.now())
    assert refusal.value.message == texts.feedback.NO_HIGHER_LEVEL
    assert len((await session.execute(select(FeedbackForward))).all()) == 1


async def test_close_tells_the_member_only_when_never_answered(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    secretary = await actor_of(cell.secretary)
    silent = await send(cell.members[0], "Một")
    answered = await send(cell.members[1], "Hai")
    await service.reply(session, actor=secretary, item_id=answered.id, content=service.Content(text="Đã rõ"), now=clock.now())
    for item in (silent, answered):
        await service.close(session, actor=secretary, item_id=item.id, now=clock.now())
        assert item.state == FeedbackState.CLOSED and item.closed_by_id == cell.secretary.id
    assert [r.member_id for r in await outbox(session, "feedback_status")] == [cell.members[0].id]
    for action in (
        service.close(session, actor=secretary, item_id=silent.id, now=clock.now()),
        service.forward(session, actor=secretary, item_id=silent.id, now=clock.now()),
        service.reply(session, actor=secretary, item_id=silent.id, content=service.Content(text="x"), now=clock.now()),
    ):
        with pytest.raises(Conflict):
            await action


async def test_nobody_answers_their_own_item(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    item = await send(cell.secretary)
    with pytest.raises(PermissionDenied) as refusal:
        await service.reply(session, actor=await actor_of(cell.secretary), item_id=item.id, content=service.Content(text="x"), now=clock.now())
    assert refusal.value.message == texts.feedback.OWN_ITEM


async def test_views_show_history(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    item = await send(cell.members[0])
    secretary = await actor_of(cell.secretary)
    await service.reply(session, actor=secretary, item_id=item.id, content=service.Content(text="Trả lời"), now=clock.now())
    await service.forward(session, actor=secretary, item_id=item.id, now=clock.now())
    view = await service.view_item(session, actor=await actor_of(cell.members[0]), item_id=item.id)
    assert view.is_author and not view.can_act and view.forward_to is None
    assert [r.text for r in view.replies] == ["Trả lời"] and view.replies[0].org_name == cell.org.name
    assert [(f.from_org_name, f.to_org_name) for f in view.forwards] == [(cell.org.name, commune.commune.name)]
    committee_view = await service.view_item(session, actor=await actor_of(commune.committee_member), item_id=item.id)
    assert committee_view.can_act and committee_view.forward_to is not None and committee_view.forward_to.id == commune.province.id


async def test_lists_mine_inbox_and_waiting(session, commune, send, actor_of, clock) -> None:
    cell_a, cell_b = commune.cells
    first = await send(cell_a.members[0], "Một")
    second = await send(cell_a.members[1], "Hai")
    to_commune = await send(cell_a.members[0], "Ba", to_parent=True)
    await send(cell_b.members[0], "Bốn")
    secretary = await actor_of(cell_a.secretary)
    await service.reply(session, actor=secretary, item_id=second.id, content=service.Content(text="Đã rõ"), now=clock.now())

    mine = await service.list_items(session, actor=await actor_of(cell_a.members[0]), scope="mine")
    assert [s.item.id for s in mine.items] == [to_commune.id, first.id] and mine.total == 2

    inbox = await service.list_items(session, actor=secretary, scope="inbox")
    assert [s.item.id for s in inbox.items] == [second.id, first.id]
    assert inbox.items[0].reply_count == 1 and inbox.items[0].author_name == cell_a.members[1].full_name
    waiting = await service.list_items(session, actor=secretary, scope="inbox", waiting_only=True)
    assert [s.item.id for s in waiting.items] == [first.id]
    assert await service.waiting_count(session, actor=secretary) == 1

    committee = await actor_of(commune.committee_member)
    committee_inbox = await service.list_items(session, actor=committee, scope="inbox")
    assert [s.item.id for s in committee_inbox.items] == [to_commune.id]
    visible = await service.list_items(session, actor=committee, scope="visible")
    assert visible.total == 4
    only_b = await service.list_items(session, actor=committee, scope="visible", org_id=cell_b.org.id)
    assert only_b.total == 1
    answered = await service.list_items(session, actor=committee, scope="visible", state=FeedbackState.ANSWERED)
    assert [s.item.id for s in answered.items] == [second.id]

    paged = await service.list_items(session, actor=committee, scope="visible", offset=2, limit=2)
    assert (paged.page, paged.pages, len(paged.items)) == (2, 2, 2)


async def test_forwarded_item_stays_in_the_cell_inbox_but_not_waiting(session, commune, send, actor_of, clock) -> None:
    cell = commune.cells[0]
    item = await send(cell.members[0])
    secretary = await actor_of(cell.secretary)
    await service.forward(session, actor=secretary, item_id=item.id, now=clock.now())
    assert [s.item.id for s in (await service.list_items(session, actor=secretary, scope="inbox")).items] == [item.id]
    assert await service.waiting_count(session, actor=secretary) == 0
    assert await service.waiting_count(session, actor=await actor_of(commune.committee_member)) == 1


async def test_monthly_counts(session, commune, send, actor_of, clock) -> None:
    cell_a, cell_b = commune.cells
    clock.set(dt.datetime(2026, 10, 31, 18, 0, tzinfo=dt.timezone.utc))  # 1/11 01:00 in Hà Nội: November
    november_a = await send(cell_a.members[0])
    clock.set(dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.timezone.utc))
    november_b = await send(cell_b.members[0])
    to_commune = await send(cell_a.members[1], to_parent=True)
    clock.set(dt.datetime(2026, 10, 20, 3, 0, tzinfo=dt.timezone.utc))
    await send(cell_a.members[2])  # October
    clock.set(dt.datetime(2026, 11, 12, 3, 0, tzinfo=dt.timezone.utc))
    await service.reply(session, actor=await actor_of(cell_a.secretary), item_id=november_a.id, content=service.Content(text="ok"), now=clock.now())
    clock.set(dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.timezone.utc))  # answered in December: not yet in November's figures
    await service.reply(session, actor=await actor_of(cell_b.secretary), item_id=november_b.id, content=service.Content(text="ok"), now=clock.now())

    month = {"month_start": dt.date(2026, 11, 1), "month_end": dt.date(2026, 12, 1)}
    assert await service.feedback_counts(session, org_path_prefix=commune.commune.path, **month) == (3, 1)
    assert await service.feedback_counts(session, org_path_prefix=cell_a.org.path, **month) == (1, 1)
    assert await service.feedback_counts(session, org_path_prefix=cell_b.org.path, **month) == (1, 0)
    assert await service.feedback_counts(session, org_path_prefix=commune.other_province.path, **month) == (0, 0)
    assert to_commune.addressed_org_id == commune.commune.id
    aware = {
        "month_start": dt.datetime(2026, 10, 31, 17, 0, tzinfo=dt.timezone.utc),
        "month_end": dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.timezone.utc),
    }
    assert await service.feedback_counts(session, org_path_prefix=commune.province.path, **aware) == (3, 1)
    with pytest.raises(ValueError):
        await service.feedback_counts(session, org_path_prefix="/", month_start=dt.datetime(2026, 11, 1), month_end=dt.date(2026, 12, 1))


async def test_every_message_is_due_by_the_injected_clock_not_the_wall_clock(session, commune, send, actor_of, clock) -> None:
    # The services' clock stands years before the wall clock: what they queue is due at their
    # "now", or a worker on the same clock (tests, a replayed day) would never see it.
    clock.set(dt.datetime(2021, 3, 1, 2, 0, tzinfo=dt.timezone.utc))
    cell = commune.cells[0]
    secretary = await actor_of(cell.secretary)
    answered = await send(cell.members[0])
    replied_at = clock.now()
    await service.reply(session, actor=secretary, item_id=answered.id, content=service.Content(text="Chi bộ đã nhận."), now=replied_at)
    forwarded = await send(cell.members[1])
    await service.forward(session, actor=secretary, item_id=forwarded.id, note="Việc của xã", now=clock.now())
    closed = await send(cell.members[2])
    await service.close(session, actor=secretary, item_id=closed.id, now=clock.now())
    rows = await outbox(session)
    assert {row.kind for row in rows} == {"feedback_new", "feedback_reply", "feedback_status"}
    late = [(row.kind, row.next_attempt_at) for row in rows if row.next_attempt_at.replace(tzinfo=dt.timezone.utc) > clock.now()]
    assert late == []
    reply = next(row for row in rows if row.kind == "feedback_reply")
    assert reply.next_attempt_at.replace(tzinfo=dt.timezone.utc) == replied_at

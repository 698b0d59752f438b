"""Study campaigns in the console: a committee opens one over a published resolution with a quiz
typed as text, follows each member's study and score, downloads the CSV, a cell's secretary sees
their cell's part only, and closes are refused to whoever does not lead the campaign's level."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import texts
from core.orgs.service import load_actor
from core.resolutions import service, study
from core.resolutions.models import DocumentKind, QuizQuestion, StudyAssignment, StudyCampaign
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import MEMBER_A, SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

D = texts.console_desk
COMMITTEE = 5001
QUIZ = "Nghị quyết đặt mục tiêu đến năm nào?\nA. 2025\n* B. 2030\nC. 2045\n\nTỉ lệ hoàn thành tốt nhiệm vụ?\nTrên 50%\n*Trên 75%"


async def _published(session, commune, clock):  # type: ignore[no-untyped-def]
    committee = await load_actor(session, commune.committee_member)
    document = await service.create_draft(session, actor=committee, now=clock.now(), draft=service.DraftInput(
        kind=DocumentKind.NQ, code="21-NQ/TW", title="Về xây dựng tổ chức cơ sở đảng",
        full_text="Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ.", org_id=commune.commune.id))
    await service.publish(session, actor=committee, document_id=document.id, now=clock.now())
    await session.commit()
    return document


async def _campaigns(session) -> list[StudyCampaign]:  # type: ignore[no-untyped-def]
    return list((await session.execute(select(StudyCampaign).execution_options(populate_existing=True))).scalars())


async def test_open_a_campaign_follow_scores_and_download(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    document = await _published(session, commune, clock)
    home = await sign_in(api_client, console_harness, COMMITTEE)
    csrf = csrf_of(home)
    form = await api_client.get(f"/console/study?document={document.id}")
    assert form.status_code == 200 and document.title in form.text and D.STUDY_NONE in form.text
    deadline = (clock.now() + dt.timedelta(days=10)).date().isoformat()
    fields = {"document_id": str(document.id), "org_id": str(commune.commune.id), "deadline": deadline, "quiz": QUIZ}

    refused = await api_client.post("/console/study", data=fields)  # no form token
    assert refused.status_code == 403 and await _campaigns(session) == []
    unmarked = await api_client.post("/console/study", data={**fields, "csrf": csrf, "quiz": "Câu hỏi?\n2025\n2030"})
    assert unmarked.status_code == 422 and "đánh dấu *" in unmarked.text and await _campaigns(session) == []
    past = await api_client.post("/console/study", data={**fields, "csrf": csrf, "deadline": clock.now().date().isoformat()})
    assert past.status_code == 422 and texts.resolutions.CAMPAIGN_DEADLINE_PAST in past.text

    opened = await api_client.post("/console/study", data={**fields, "csrf": csrf})
    assert opened.status_code == 303, opened.text[:2000]
    [campaign] = await _campaigns(session)
    assert campaign.question_count == 2 and campaign.org_id == commune.commune.id
    questions = list((await session.execute(select(QuizQuestion).order_by(QuizQuestion.position))).scalars())
    assert [q.correct_option for q in questions] == [1, 1] and questions[0].options == ["2025", "2030", "2045"]
    page = await api_client.get(opened.headers["location"])
    assert page.status_code == 200 and "Đã mở đợt học tập cho" in page.text
    for cell in commune.cells:
        assert cell.org.name in page.text and cell.members[0].full_name in page.text
    again = await api_client.post("/console/study", data={**fields, "csrf": csrf})
    assert again.status_code == 422 and len(await _campaigns(session)) == 1  # one campaign per document and organisation

    # A member of cell A studies and answers both questions right; the page and the file show it.
    member = commune.cells[0].members[0]
    actor = await load_actor(session, member)
    await service.confirm_studied(session, actor=actor, document_id=document.id, now=clock.now())
    for question in questions:
        await study.answer(session, member=member, question_id=question.id, option=1, now=clock.now())
    await session.commit()
    page = await api_client.get(f"/console/study/{campaign.id}")
    assert "2/2 câu đúng" in page.text and "10,0/10" in page.text
    csv_file = await api_client.get(f"/console/study/{campaign.id}/export")
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    rows = csv_file.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Họ và tên,Chi bộ")
    mine = next(row for row in rows if row.startswith(member.full_name))
    assert mine.endswith(',2,2,2,"10,0",Có,Có') 

    assigned = int(await session.scalar(select(func.count(StudyAssignment.id)).where(StudyAssignment.campaign_id == campaign.id)) or 0)
    assert len(rows) == 1 + assigned and assigned >= sum(len(c.everyone) for c in commune.cells)

    # A list for one cell shows the commune's campaign (it reaches that cell).
    listed = await api_client.get(f"/console/study?org={commune.cells[1].org.id}")
    assert document.title in listed.text and D.STUDY_RESULTS_LINK in listed.text

    closed = await api_client.post(f"/console/study/{campaign.id}/close", data={"csrf": csrf})
    assert closed.status_code == 303 and (await _campaigns(session))[0].closed_at is not None


async def test_a_cell_secretary_sees_their_part_and_cannot_close(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    document = await _published(session, commune, clock)
    committee = await load_actor(session, commune.committee_member)
    opened = await study.open_campaign(session, actor=committee, document_id=document.id, org_id=commune.commune.id,
                                       deadline_day=(clock.now() + dt.timedelta(days=10)).date(), now=clock.now())
    await session.commit()
    campaign_id = opened.campaign.id
    home = await sign_in(api_client, console_harness, SECRETARY_B)
    csrf = csrf_of(home)
    page = await api_client.get(f"/console/study/{campaign_id}")
    assert page.status_code == 200 and commune.cells[1].members[0].full_name in page.text
    assert commune.cells[0].members[0].full_name not in page.text and D.STUDY_CLOSE not in page.text
    other_part = await api_client.get(f"/console/study/{campaign_id}?org={commune.cells[0].org.id}")
    assert other_part.status_code == 404
    csv_file = await api_client.get(f"/console/study/{campaign_id}/export")
    assert commune.cells[0].members[0].full_name not in csv_file.content.decode("utf-8-sig")
    refused = await api_client.post(f"/console/study/{campaign_id}/close", data={"csrf": csrf})
    assert refused.status_code == 404 and (await _campaigns(session))[0].closed_at is None
    # Nor can they open one for the commune (they do not lead it).
    made = await api_client.post("/console/study", data={"csrf": csrf, "document_id": str(document.id), "org_id": str(commune.commune.id),
                                                          "deadline": (clock.now() + dt.timedelta(days=9)).date().isoformat()})
    assert made.status_code in (403, 404) and len(await _campaigns(session)) == 1
    assert int(await session.scalar(select(func.count(StudyCampaign.id))) or 0) == 1


async def test_another_province_and_a_plain_member_see_nothing(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    document = await _published(session, commune, clock)
    committee = await load_actor(session, commune.committee_member)
    opened = await study.open_campaign(session, actor=committee, document_id=document.id, org_id=commune.commune.id,
                                       deadline_day=(clock.now() + dt.timedelta(days=10)).date(), now=clock.now())
    await session.commit()
    await sign_in(api_client, console_harness, 9001)  # the other province's cell secretary
    listed = await api_client.get("/console/study")
    assert listed.status_code == 200 and document.title not in listed.text
    for path in (f"/console/study/{opened.campaign.id}", f"/console/study/{opened.campaign.id}/export"):
        assert (await api_client.get(path)).status_code == 404
    api_client.cookies.clear()
    assert SECRETARY_A and MEMBER_A
    home = await api_client.get("/console/study")
    assert home.status_code == 401

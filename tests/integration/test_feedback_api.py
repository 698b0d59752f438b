"""/api/v1/feedback over the real FastAPI app (httpx, ASGI): the flow, refusals and bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from api.app import create_app
from core import texts
from core.delivery.models import OutboxMessage
from core.orgs.models import Member
from core.orgs.tokens import create_token
from sotay.runtime import Runtime
from sotay.settings import Settings
from tests.conftest import TEST_SECRET_KEY


@pytest.fixture
async def client(engine, session_factory, cipher, clock, tmp_path) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    settings = Settings(demo=True, secret_key=TEST_SECRET_KEY, data_dir=tmp_path / "data")
    runtime = Runtime(settings=settings, engine=engine, session_factory=session_factory, cipher=cipher, clock=clock)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://sotay.test") as http:
        yield http



@pytest.fixture
def auth(session, clock):  # type: ignore[no-untyped-def]
    """Headers with a fresh personal token for a member."""

    async def headers(member: Member) -> dict[str, str]:
        issued = await create_token(session, member=member, now=clock.now(), name="test")
        await session.commit()
        return {"Authorization": f"Bearer {issued.token}"}

    return headers


async def send(client: httpx.AsyncClient, headers: dict[str, str], org_id: int, text: str = "Đề nghị sửa đường vào thôn", kind: str = "comment") -> httpx.Response:
    return await client.post("/api/v1/feedback", json={"kind": kind, "org_id": org_id, "text": text}, headers=headers)


async def test_member_sends_secretary_replies_member_reads(client, session, commune, auth, clock) -> None:
    cell = commune.cells[0]
    member, secretary = await auth(cell.members[0]), await auth(cell.secretary)

    recipients = (await client.get("/api/v1/feedback/recipients", headers=member)).json()
    assert recipients == [
        {"id": cell.org.id, "name": cell.org.name, "kind": "cell"},
        {"id": commune.commune.id, "name": commune.commune.name, "kind": "committee"},
    ]
    created = await send(client, member, cell.org.id, kind="report")
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["reference"] == f"PA-2026-{item['id']:06d}" and item["state"] == "open" and item["is_author"]
    assert item["permissions"] == {"can_reply": False, "can_close": False, "forward_to": None}

    inbox = (await client.get("/api/v1/feedback", params={"scope": "inbox"}, headers=secretary)).json()
    assert [i["reference"] for i in inbox["items"]] == [item["reference"]] and inbox["total"] == 1
    assert inbox["items"][0]["author_name"] == cell.members[0].full_name

    detail = (await client.get(f"/api/v1/feedback/{item['id']}", headers=secretary)).json()
    assert detail["permissions"]["can_reply"] and detail["permissions"]["forward_to"]["id"] == commune.commune.id

    clock.advance(hours=1)
    reply = await client.post(f"/api/v1/feedback/{item['id']}/replies", json={"text": "Chi bộ đã báo xã."}, headers=secretary)
    assert reply.status_code == 201 and reply.json()["org_name"] == cell.org.name

    [row] = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "feedback_reply"))).scalars().all()
    assert row.member_id == cell.members[0].id and item["reference"] in row.payload["text"] and "Chi bộ đã báo xã." in row.payload["text"]

    mine = (await client.get(f"/api/v1/feedback/{item['id']}", headers=member)).json()
    assert mine["state"] == "answered" and [r["text"] for r in mine["replies"]] == ["Chi bộ đã báo xã."]
    assert mine["answered_at"].startswith("2026-11-23T04:00:00")


async def test_access_refusals(client, commune, auth) -> None:
    cell_a, cell_b = commune.cells
    author = await auth(cell_a.members[0])
    item = (await send(client, author, cell_a.org.id)).json()
    for outsider in (cell_a.members[1], cell_b.secretary, cell_b.members[0], commune.other_cell.secretary):
        headers = await auth(outsider)
        read = await client.get(f"/api/v1/feedback/{item['id']}", headers=headers)
        assert read.status_code == 404 and read.json() == {"error": "not_found", "message": texts.common.NOT_FOUND}
        for path, body in (("replies", {"text": "x"}), ("forward", {}), ("close", None)):
            refused = await client.post(f"/api/v1/feedback/{item['id']}/{path}", json=body, headers=headers)
            assert refused.status_code == 404, (outsider.full_name, path)
        listed = (await client.get("/api/v1/feedback", headers=headers)).json()
        assert listed["total"] == 0
    own = await client.post(f"/api/v1/feedback/{item['id']}/replies", json={"text": "x"}, headers=author)
    assert own.status_code == 403 and own.json() == {"error": "forbidden", "message": texts.feedback.OWN_ITEM}
    assert (await client.get("/api/v1/feedback")).status_code == 401
    assert (await client.get("/api/v1/feedback", headers={"Authorization": "Bearer sotay_nope"})).status_code == 401


async def test_bad_input(client, commune, auth, clock) -> None:
    cell = commune.cells[0]
    member = await auth(cell.members[0])
    empty = await send(client, member, cell.org.id, text="   ")
    assert empty.status_code == 422 and empty.json() == {"error": "invalid_input", "message": texts.feedback.TEXT_EMPTY}
    long = await send(client, member, cell.org.id, text="a" * 10_000)
    assert long.status_code == 422 and long.json()["message"] == texts.feedback.TEXT_TOO_LONG.format(length=10_000, limit=4000)
    assert (await send(client, member, cell.org.id, kind="complaint")).status_code == 422
    elsewhere = await send(client, member, commune.cells[1].org.id)
    assert elsewhere.status_code == 404 and elsewhere.json()["error"] == "not_found"  # another cell: not hers to know of
    above = await send(client, member, commune.province.id)
    assert above.status_code == 403 and above.json()["message"] == texts.feedback.RECIPIENT_INVALID
    assert (await client.get("/api/v1/feedback", params={"page_size": 1000}, headers=member)).status_code == 422
    assert (await client.get("/api/v1/feedback", params={"org_id": 987654}, headers=member)).status_code == 404
    assert (await client.get("/api/v1/feedback/not-a-number", headers=member)).status_code == 422
    assert (await client.get("/api/v1/feedback", headers=member)).json()["total"] == 0

    # A flood: five an hour, then 429 with the reason; nothing more is stored.
    codes = []
    for n in range(8):
        clock.advance(seconds=10)
        codes.append((await send(client, member, cell.org.id, text=f"Ý kiến {n}")).status_code)
    assert codes == [201] * 5 + [429] * 3
    refused = await send(client, member, cell.org.id)
    # The first of the five was 80 seconds ago: 58 min 40 s to wait, said as 59 minutes.
    assert refused.json() == {"error": "rate_limited", "message": texts.feedback.RATE_HOUR.format(count=5, minutes=59)}
    # Two at once are refused as a burst, whatever the hourly count.
    other = await auth(cell.members[1])
    burst = [(await send(client, other, cell.org.id, text=f"Phần {n}")).status_code for n in range(3)]
    assert burst == [201, 429, 429]
    assert (await client.get("/api/v1/feedback", params={"scope": "mine"}, headers=member)).json()["total"] == 5


async def test_forward_and_close(client, commune, auth) -> None:
    cell = commune.cells[0]
    member, secretary, committee = await auth(cell.members[0]), await auth(cell.secretary), await auth(commune.committee_member)
    item = (await send(client, member, cell.org.id)).json()

    forwarded = await client.post(f"/api/v1/feedback/{item['id']}/forward", json={"note": "Vượt thẩm quyền chi bộ"}, headers=secretary)
    assert forwarded.status_code == 200
    body = forwarded.json()
    assert body["current_org"]["id"] == commune.commune.id and body["forwards"][0]["note"] == "Vượt thẩm quyền chi bộ"
    assert body["permissions"] == {"can_reply": False, "can_close": False, "forward_to": None}  # the cell now only reads
    again = await client.post(f"/api/v1/feedback/{item['id']}/forward", headers=secretary)
    assert again.status_code == 403
    assert again.json()["message"] == texts.feedback.NOT_AT_YOUR_LEVEL.format(org=commune.commune.name)

    committee_inbox = (await client.get("/api/v1/feedback", params={"scope": "inbox", "state": "open"}, headers=committee)).json()
    assert [i["id"] for i in committee_inbox["items"]] == [item["id"]]
    closed = await client.post(f"/api/v1/feedback/{item['id']}/close", headers=committee)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    late = await client.post(f"/api/v1/feedback/{item['id']}/replies", json={"text": "Muộn"}, headers=committee)
    assert late.status_code == 409 and late.json()["message"] == texts.feedback.ALREADY_CLOSED


async def test_filters_and_pages(client, commune, auth, clock) -> None:
    cell_a, cell_b = commune.cells
    for n, (member, org, kind) in enumerate(
        [(cell_a.members[0], cell_a.org, "comment"), (cell_a.members[1], cell_a.org, "report"),
         (cell_b.members[0], cell_b.org, "proposal"), (cell_b.members[1], commune.commune, "report")]
    ):
        clock.advance(minutes=1)
        assert (await send(client, await auth(member), org.id, text=f"Ý kiến {n}", kind=kind)).status_code == 201
    committee = await auth(commune.committee_member)
    everything = (await client.get("/api/v1/feedback", headers=committee)).json()
    assert everything["total"] == 4 and [i["excerpt"] for i in everything["items"]] == ["Ý kiến 3", "Ý kiến 2", "Ý kiến 1", "Ý kiến 0"]
    reports = (await client.get("/api/v1/feedback", params={"kind": "report"}, headers=committee)).json()
    assert reports["total"] == 2
    in_b = (await client.get("/api/v1/feedback", params={"org_id": cell_b.org.id}, headers=committee)).json()
    assert [i["excerpt"] for i in in_b["items"]] == ["Ý kiến 2"]
    second = (await client.get("/api/v1/feedback", params={"page": 2, "page_size": 3}, headers=committee)).json()
    assert (second["page"], second["pages"], len(second["items"])) == (2, 2, 1)
    secretary_a = (await client.get("/api/v1/feedback", headers=await auth(cell_a.secretary))).json()
    assert secretary_a["total"] == 2


async def test_openapi_documents_the_endpoints(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/feedback"])
    assert "404" in paths["/api/v1/feedback/{item_id}"]["get"]["responses"]
    assert spec["components"]["schemas"]["FeedbackOut"].get("examples")

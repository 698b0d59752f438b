"""Operations around the API: request ids and logs without secrets, /metrics and its guard,
upload limits, malformed bodies, the rate limiter's Redis mode, the OpenAPI documentation."""

import io
import json
import logging
import uuid

import pytest
from pydantic import SecretStr

from core import metrics
from core.orgs.management import MAX_IMPORT_BYTES
from core.orgs.tokens import create_token
from tests.factories import make_commune


@pytest.fixture
async def secretary(session, cipher, clock):
    commune = await make_commune(session, cipher, linked=True)
    issued = await create_token(session, member=commune.cells[0].secretary, now=clock.now())
    await session.commit()
    return commune, issued.token, {"Authorization": f"Bearer {issued.token}"}


async def test_request_ids_and_an_access_log_without_query_strings(api_client, secretary, caplog) -> None:
    commune, token, headers = secretary
    caplog.set_level(logging.INFO, logger="sotay.api.access")
    offered = await api_client.get("/api/v1/me", headers={**headers, "X-Request-ID": "req-12345678"})
    assert offered.headers["x-request-id"] == "req-12345678"
    forged = await api_client.get("/api/v1/me", headers={**headers, "X-Request-ID": "bad id\nwith newline"})
    assert len(forged.headers["x-request-id"]) == 32 and "\n" not in forged.headers["x-request-id"]
    await api_client.get(f"/api/v1/orgs/{commune.cells[0].org.id}/members?q=Nguyễn&access_token={token}", headers=headers)
    lines = [r.getMessage() for r in caplog.records if r.name == "sotay.api.access"]
    assert "GET /api/v1/orgs/{org_id}/members 200" in " ".join(lines)
    assert not any(token in line or "Nguy" in line or "?" in line for line in lines)


async def test_health_checks_and_scrapes_are_not_logged_at_info(api_client, caplog) -> None:
    """Found scraping two workers every 0.5 s (#18 item 9): 1,249 log lines, nearly all "GET /metrics 200"."""
    caplog.set_level(logging.INFO, logger="sotay.api.access")
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await api_client.get(path)).status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name == "sotay.api.access"] == []
    caplog.set_level(logging.DEBUG, logger="sotay.api.access")
    await api_client.get("/metrics")
    assert any("/metrics 200" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)


def test_logs_carry_the_request_id_and_never_a_token(capsys) -> None:
    from core.logcontext import request_id
    from sotay.logging_setup import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("INFO", json_lines=True)
        token = request_id.set("req-abcdef12")
        logging.getLogger("sotay.test").warning(
            "refused Authorization: Bearer sotay_%s and https://api.telegram.org/bot42:AAAAsecret/getMe", "x" * 43
        )
        request_id.reset(token)
        logging.getLogger("sotay.test").info("outside a request")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    first, second = (json.loads(line) for line in capsys.readouterr().err.strip().splitlines())
    assert first["request_id"] == "req-abcdef12" and "request_id" not in second
    assert "xxxxxxxx" not in first["message"] and "AAAAsecret" not in first["message"]
    assert "<token>" in first["message"]


async def test_metrics_guard_and_content(api_client, runtime, secretary, harness) -> None:
    _, _, headers = secretary
    before = metrics.REGISTRY.get_sample_value("sotay_updates_handled_total", {"kind": "message"}) or 0
    await harness.text(1001, "/start")
    assert metrics.REGISTRY.get_sample_value("sotay_updates_handled_total", {"kind": "message"}) == before + 1
    await api_client.get("/api/v1/me", headers=headers)
    body = (await api_client.get("/metrics")).text
    assert 'sotay_api_requests_total{route="GET /api/v1/me",status="200"}' in body
    assert 'sotay_outbox_depth{state="pending"}' in body and "sotay_reminder_lag_seconds_bucket" in body
    assert "sotay_" in body and "/api/v1/members/1" not in body  # templates, never raw paths

    runtime.settings.metrics_token = SecretStr("metrics-secret-0123456789")
    assert (await api_client.get("/metrics")).status_code == 401
    assert (await api_client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
    allowed = await api_client.get("/metrics", headers={"Authorization": "Bearer metrics-secret-0123456789", "X-Forwarded-For": "1.2.3.4"})
    assert allowed.status_code == 200 and allowed.headers["content-type"].startswith("text/plain")


async def test_uploads_over_the_limit_and_malformed_bodies(api_client, secretary) -> None:
    _, _, headers = secretary
    big = {"file": ("ds.csv", io.BytesIO(b"x" * (MAX_IMPORT_BYTES + 128 * 1024)), "text/csv")}
    too_large = await api_client.post("/api/v1/members/import", files=big, headers=headers)
    assert too_large.status_code == 413 and too_large.json()["error"] == "too_large"
    broken = await api_client.post("/api/v1/members/import", content=b"--x\r\nnot multipart", headers={
        **headers, "Content-Type": "multipart/form-data; boundary=x"})
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_input"
    not_utf8 = await api_client.post("/api/v1/tokens", content=b"\xff\xfe{", headers={**headers, "Content-Type": "application/json"})
    assert not_utf8.status_code == 422 and not_utf8.json()["error"] == "invalid_input"
    wrong_method = await api_client.put("/api/v1/tokens", headers=headers)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"


async def test_rate_limit_counts_in_redis_across_limiters(redis_url, clock) -> None:
    from api.ratelimit import FixedWindowLimiter

    first, second = FixedWindowLimiter(limit=2, redis_url=redis_url), FixedWindowLimiter(limit=2, redis_url=redis_url)
    key = f"token:test-{uuid.uuid4().hex}"
    try:
        decisions = [await first.hit(key, now=clock.now()), await second.hit(key, now=clock.now()), await first.hit(key, now=clock.now())]
        assert [d.allowed for d in decisions] == [True, True, False]  # two processes, one budget
        clock.advance(seconds=60)
        assert (await second.hit(key, now=clock.now())).allowed
    finally:
        await first.close()
        await second.close()


async def test_rate_limit_survives_redis_going_away(clock) -> None:
    from api.ratelimit import FixedWindowLimiter

    limiter = FixedWindowLimiter(limit=1, redis_url="redis://127.0.0.1:1/0")
    assert (await limiter.hit("token:1", now=clock.now())).allowed
    assert not (await limiter.hit("token:1", now=clock.now())).allowed  # counted in memory instead
    await limiter.close()


async def test_openapi_documents_errors_examples_and_security(api_client) -> None:
    spec = (await api_client.get("/openapi.json")).json()
    assert (await api_client.get("/docs")).status_code == 200
    member = spec["paths"]["/api/v1/members/{member_id}"]["patch"]
    assert member["summary"] and member["tags"] == ["members"] and member["security"]
    for status in ("401", "403", "404", "409", "422", "429"):
        assert member["responses"][status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert "Retry-After" in member["responses"]["429"]["headers"]
    assert spec["components"]["schemas"]["MemberRecordOut"]["examples"][0]["citizen_id"].count("*") == 6
    assert spec["paths"]["/api/v1/members/import"]["post"]["responses"]["413"]


async def test_nul_characters_are_refused_before_they_reach_the_database(api_client, secretary) -> None:
    commune, _, headers = secretary
    cell = commune.cells[0].org
    token = await api_client.post("/api/v1/tokens", json={"name": "máy\u0000"}, headers=headers)
    assert token.status_code == 422 and token.json()["fields"][0]["loc"] == ["body"]
    escaped = await api_client.post("/api/v1/tokens", content=b'{"name": "a\\\\u0000b"}', headers={**headers, "Content-Type": "application/json"})
    assert escaped.status_code == 201 and escaped.json()["name"] == "a\\u0000b"  # a backslash, then text
    search = await api_client.get(f"/api/v1/orgs/{cell.id}/members?q=a%00b", headers=headers)
    assert search.status_code == 422 and search.json()["error"] == "invalid_input"
    header = "Tổ chức đảng,Họ và tên,Ngày sinh,Giới tính,Ngày vào Đảng,Số thẻ đảng viên,Số định danh cá nhân\n"
    row = f"{commune.province.name}/{commune.commune.name}/{cell.name},Lò\x00Văn,01/01/1970,Nam,01/01/1990,NUL1,001070123123\n"
    files = {"file": ("ds.csv", io.BytesIO((header + row).encode()), "text/csv")}
    refused = await api_client.post("/api/v1/members/import", files=files, headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["column"] == "Họ và tên"

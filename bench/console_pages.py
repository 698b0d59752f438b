"""Web console pages at a big cell's size: `python -m bench.console_pages [--members 150] [--rounds 30]`

A scratch SQLite database (a temporary folder) with one commune: a cell of `--members` members (the
largest real cells have ~150), a month with 8 meetings and one about to start (made with a monthly
rule: its attendance sheet is open), a notice to the cell, a study campaign with a quiz over a
published document. A secretary's session
is started through core (as the one-time link does), then the real FastAPI app is asked over ASGI
(httpx, no network) for each page `--rounds` times. Prints one JSON object: median and p95 in ms per
page, and the page sizes in bytes. Goal: every page < 300 ms at the median on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path


async def main(members: int, rounds: int) -> dict[str, object]:
    import httpx

    from api.app import create_app
    from core.clock import SystemClock
    from core.console import service as console
    from core.crypto import FieldCipher
    from core.db import create_engine, create_session_factory, transaction
    from core.meetings import service as meetings
    from core.meetings.models import MeetingKind
    from core.models import metadata
    from core.notices import service as notices
    from core.orgs.models import OrgKind, RoleKind
    from core.orgs.service import create_org, load_actor
    from core.resolutions import service as documents
    from core.resolutions import study
    from core.resolutions.models import DocumentKind
    from sotay.runtime import Runtime
    from sotay.settings import Settings
    from tests.factories import add_member

    folder = Path(tempfile.mkdtemp(prefix="sotay-bench-console-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    secret = "bench-secret-key-that-is-long-enough-0123456789"
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    factory = create_session_factory(engine)
    cipher = FieldCipher(secret)
    clock = SystemClock()
    now = clock.now()
    async with transaction(factory) as session:
        province = await create_org(session, name="Tỉnh", kind=OrgKind.COMMITTEE, parent=None)
        commune = await create_org(session, name="Xã", kind=OrgKind.COMMITTEE, parent=province)
        cell = await create_org(session, name="Chi bộ lớn", kind=OrgKind.CELL, parent=commune)
        secretary = await add_member(session, cipher, cell, "Bí thư", role=RoleKind.SECRETARY, link_to=1)
        for i in range(members - 1):
            await add_member(session, cipher, cell, f"Đảng viên {i:03d}", link_to=100 + i if i % 5 else None)
        actor = await load_actor(session, secretary)
        first = (now + dt.timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
        for n in range(8):
            created = await meetings.create_meeting(session, actor=actor, cell_id=cell.id, kind=MeetingKind.REGULAR,
                                                    starts_at=first + dt.timedelta(days=3 * n), place="Nhà văn hóa", agenda="Một\nHai", now=now)
        meeting_id = created.meeting.id
        soon = await meetings.create_meeting(session, actor=actor, cell_id=cell.id, kind=MeetingKind.REGULAR, repeat_monthly=True,
                                             starts_at=now + dt.timedelta(minutes=30), place="Nhà văn hóa", now=now)
        document = await documents.create_draft(session, actor=actor, now=now, draft=documents.DraftInput(
            kind=DocumentKind.NQ, title="Nghị quyết thử", full_text="Nội dung nghị quyết thử cho chi bộ. " * 20, org_id=cell.id))
        await documents.publish(session, actor=actor, document_id=document.id, now=now)
        campaign = await study.open_campaign(session, actor=actor, document_id=document.id, org_id=cell.id,
                                             deadline_day=(now + dt.timedelta(days=14)).date(), now=now,
                                             questions=[study.QuestionInput(text="Câu hỏi?", options=["Một", "Hai"], correct=1)])
        notice = await notices.create_notice(session, actor=actor, org_id=cell.id, text="Thông báo thử.", now=now)
        issued = await console._start(session, secretary, now=now, via="link")
    settings = Settings(demo=True, secret_key=secret, data_dir=folder / "data")
    app = create_app(Runtime(settings=settings, engine=engine, session_factory=factory, cipher=cipher, clock=clock))
    pages = {
        "home": "/console/",
        "members_page": f"/console/members?org={cell.id}",
        "unlinked": f"/console/members/unlinked?org={cell.id}",
        "calendar": f"/console/meetings?month={first:%Y-%m}",
        "meeting": f"/console/meetings/{meeting_id}",
        "notice": f"/console/notices/{notice.id}",
        "notice_progress": f"/console/notices/{notice.id}/progress",
        "meeting_rules": "/console/meetings/rules",
        "attendance": f"/console/meetings/{soon.meeting.id}/attendance",
        "attendance_print": f"/console/meetings/{soon.meeting.id}/attendance/print",
        "study": "/console/study",
        "study_results": f"/console/study/{campaign.campaign.id}",
        "study_csv": f"/console/study/{campaign.campaign.id}/export",
    }
    results: dict[str, object] = {"members": members, "rounds": rounds}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.test", cookies={"sotay_console": issued.token}) as client:
        for name, path in pages.items():
            times = []
            size = 0
            for _ in range(rounds):
                started = time.perf_counter()
                reply = await client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert reply.status_code == 200, (path, reply.status_code, reply.text[:300])
                size = len(reply.content)
            times.sort()
            results[name] = {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1), "bytes": size}
    await engine.dispose()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.members, args.rounds)), ensure_ascii=False, indent=1))

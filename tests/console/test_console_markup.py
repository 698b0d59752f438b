"""Core texts are Telegram HTML (names escaped, <b>, <i>, <a>); a console page shows them as the
messenger does: an organisation named «A & B <Khu 2>» reads exactly so, not «&amp;amp;» or a raw tag."""

from __future__ import annotations

import datetime as dt
import html
import re

from api.console.markup import telegram_html
from core import texts
from core.orgs.service import load_actor
from core.resolutions import study
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import sign_in
from tests.console.test_console_study import COMMITTEE, QUIZ, _published
from tests.factories import make_commune

ODD_NAME = "Đảng bộ xã A & B <Khu 2>"
ALERT = re.compile(r'<p class="notice" role="alert">(.*?)</p>', re.S)


def test_the_telegram_subset_becomes_safe_html() -> None:
    name = html.escape(ODD_NAME)
    assert telegram_html(texts.resolutions.CAMPAIGN_EXISTS.format(org=name)) == (
        "Văn bản này đã có đợt học tập cho Đảng bộ xã A &amp; B &lt;Khu 2&gt;."
    )
    assert telegram_html("⚠️ <b>Trùng lịch họp.</b>\n<i>Hai</i> <s>cũ</s>") == "⚠️ <strong>Trùng lịch họp.</strong><br>\n<em>Hai</em> <s>cũ</s>"
    # Anything outside the subset is shown as the text it is; a link only when it is http(s).
    assert telegram_html("<script>alert(1)</script><img src=x onerror=alert(1)>") == (
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    )
    assert telegram_html('<a href="javascript:alert(1)">xem</a> <a href="https://x.vn/?a=1&amp;b=2">tải</a>') == (
        'xem <a href="https://x.vn/?a=1&amp;b=2" rel="noopener noreferrer">tải</a>'
    )
    assert telegram_html("<b><i>chưa đóng") == "<strong><em>chưa đóng</em></strong>"
    assert telegram_html("a < b & c </b>") == "a &lt; b &amp; c &lt;/b&gt;"


async def test_a_refusal_naming_an_organisation_with_ampersand_and_angle_brackets(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    commune.commune.name = ODD_NAME
    document = await _published(session, commune, clock)
    deadline = (clock.now() + dt.timedelta(days=10)).date()
    committee = await load_actor(session, commune.committee_member)
    await study.open_campaign(session, actor=committee, document_id=document.id, org_id=commune.commune.id, deadline_day=deadline, now=clock.now())
    await session.commit()
    csrf = csrf_of(await sign_in(api_client, console_harness, COMMITTEE))

    again = await api_client.post("/console/study", data={
        "csrf": csrf, "document_id": str(document.id), "org_id": str(commune.commune.id), "deadline": deadline.isoformat(), "quiz": QUIZ,
    })
    assert again.status_code == 422
    [alert] = ALERT.findall(again.text)
    # The browser reads «… cho Đảng bộ xã A & B <Khu 2>.»: each character escaped once.
    assert alert == "Văn bản này đã có đợt học tập cho Đảng bộ xã A &amp; B &lt;Khu 2&gt;."
    assert html.unescape(alert) == texts.resolutions.CAMPAIGN_EXISTS.format(org=ODD_NAME)
    assert "&amp;amp;" not in again.text and "&amp;lt;" not in again.text

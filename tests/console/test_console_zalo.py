"""On Zalo (no buttons) the secretary's home menu has «🖥 Mở trang quản lý» as a numbered entry of the
same menu (the shared conversation layer); its number answers with a one-time sign-in link that works."""

from __future__ import annotations

import re

from sqlalchemy import select

from core import texts
from core.console.models import ConsoleLoginLink
from core.orgs.linking import create_invite
from tests.console.conftest import CONSOLE_BASE
from tests.factories import make_commune
from tests.integration.test_zalo_bot import harness, media, number_of, phones, zalo_sandbox  # noqa: F401  (fixtures)


async def test_a_zalo_secretary_gets_a_link_from_the_numbered_menu(phones, harness, api_client, session, cipher, clock) -> None:  # noqa: F811
    harness.dispatcher["console_base"] = CONSOLE_BASE
    commune = await make_commune(session, cipher, linked=True)
    invite = await create_invite(session, member=commune.cells[0].secretary, now=clock.now())
    plain = await create_invite(session, member=commune.cells[0].members[1], now=clock.now())
    await session.commit()
    chat = await phones.person("Bí thư")
    linked = await phones.say(chat, invite.code)
    menu = linked[-1]
    assert texts.console.BTN_OPEN_CONSOLE in menu, linked
    answer = await phones.say(chat, number_of(menu, texts.console.BTN_OPEN_CONSOLE))
    found = re.search(r"(http://sotay\.test/console/login/[A-Za-z0-9_\-]+)", "\n".join(answer))
    assert found, answer
    [link] = (await session.execute(select(ConsoleLoginLink))).scalars().all()
    assert link.platform == "zalo"
    path = found.group(1).removeprefix(CONSOLE_BASE)
    assert (await api_client.post(path)).status_code == 303
    assert (await api_client.get("/console/")).status_code == 200

    # A plain member's Zalo menu has no such entry, and typing the words changes nothing.
    member_chat = await phones.person("Đảng viên")
    member_menu = (await phones.say(member_chat, plain.code))[-1]
    assert texts.console.BTN_OPEN_CONSOLE not in member_menu
    refused = await phones.say(member_chat, texts.console.BTN_OPEN_CONSOLE)
    assert texts.console.MANAGERS_ONLY in "\n".join(refused)
    assert len((await session.execute(select(ConsoleLoginLink))).scalars().all()) == 1

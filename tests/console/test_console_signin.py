"""Signing in to the web console from a bot link or the Telegram Mini App, and every refusal:
a used or expired link, a plain member, another cell's data, a missing CSRF token, forged Mini App
data, idle and absolute expiry, signing out everywhere. Refused means nothing changed."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import func, select

from core import texts
from core.console import service as console
from core.console.models import ConsoleLoginLink, ConsoleSession
from core.orgs.models import InviteCode, OrgRole
from tests.botkit import texts_of
from tests.console.conftest import CONSOLE_BASE
from tests.console.helpers import csrf_of, init_data, link_from_bot
from tests.factories import make_commune

SECRETARY_A = 1001  # make_commune's Telegram ids: cell A 1001…, cell B 2001…, committee member 5001
MEMBER_A = 1003
SECRETARY_B = 2001


async def _count(session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def sign_in(api_client, harness, user_id: int) -> str:  # type: ignore[no-untyped-def]
    """The whole path: the bot's link, the page's button, the session; returns the home page."""
    link = await link_from_bot(harness, user_id)
    assert link.startswith(CONSOLE_BASE + "/console/login/")
    path = link.removeprefix(CONSOLE_BASE)
    page = await api_client.get(path)
    assert page.status_code == 200 and texts.console.SIGNIN_BUTTON in page.text
    signed = await api_client.post(path)
    assert signed.status_code == 303 and signed.headers["location"] == "/console/"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    home = await api_client.get("/console/")
    assert home.status_code == 200
    return home.text


async def test_a_secretary_signs_in_once_from_the_bot_link(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    assert commune.cells[0].secretary.full_name in home and commune.cells[0].org.name in home
    assert "Content-Security-Policy" in (await api_client.get("/console/")).headers
    # Stored hashed: the token in the link is nowhere in the database.
    [link] = (await session.execute(select(ConsoleLoginLink))).scalars().all()
    assert link.used_at is not None and len(link.token_hash) == 64

    # The same link again: refused in Vietnamese, and no second session.
    again = await link_from_bot(console_harness, SECRETARY_A)  # a fresh one works; the first does not
    first_path = "/console/login/" + (await session.execute(select(ConsoleLoginLink).order_by(ConsoleLoginLink.id))).scalars().first().token_hash
    assert (await api_client.get(first_path)).status_code == 403  # a hash is not a token
    api_client.cookies.clear()
    used = again.removeprefix(CONSOLE_BASE)
    assert (await api_client.post(used)).status_code == 303
    before = await _count(session, ConsoleSession)
    for reply in (await api_client.get(used), await api_client.post(used)):
        assert reply.status_code == 403 and texts.console.LINK_USED in reply.text and "text/html" in reply.headers["content-type"]
    assert await _count(session, ConsoleSession) == before


async def test_an_expired_link_is_refused_and_starts_no_session(api_client, console_harness, session, cipher, clock) -> None:
    await make_commune(session, cipher)
    await session.commit()
    path = (await link_from_bot(console_harness, SECRETARY_A)).removeprefix(CONSOLE_BASE)
    clock.advance(seconds=console.LINK_TTL.total_seconds() + 1)
    reply = await api_client.post(path)
    assert reply.status_code == 403 and texts.console.LINK_EXPIRED in reply.text
    assert await _count(session, ConsoleSession) == 0
    assert (await api_client.get("/console/")).status_code == 401
    unknown = await api_client.post("/console/login/not-a-real-token")
    assert unknown.status_code == 403 and texts.console.LINK_INVALID in unknown.text


async def test_a_plain_member_gets_no_link_and_no_page(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    await session.commit()
    calls = await console_harness.text(MEMBER_A, texts.console.BTN_OPEN_CONSOLE)
    assert texts_of(calls) == [texts.console.MANAGERS_ONLY]
    assert await _count(session, ConsoleLoginLink) == 0
    # A session held by someone who no longer leads anything (the function taken away after signing in).
    await sign_in(api_client, console_harness, SECRETARY_A)
    secretary = commune.cells[0].secretary
    for role in (await session.execute(select(OrgRole).where(OrgRole.member_id == secretary.id))).scalars():
        await session.delete(role)
    await session.commit()
    for url in ("/console/", f"/console/members?org={commune.cells[0].org.id}", "/console/members/import", "/console/members/unlinked"):
        reply = await api_client.get(url)
        assert reply.status_code == 403 and texts.console.MANAGERS_ONLY in reply.text, url


async def test_another_cells_members_are_not_found_and_not_invited(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    from core.orgs.models import ChannelLink

    session.add(ChannelLink(member_id=commune.cells[0].secretary.id, platform="telegram", platform_user_id=str(SECRETARY_A), chat_id=str(SECRETARY_A)))
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    b = commune.cells[1]
    for url in (f"/console/members?org={b.org.id}", f"/console/members?org={commune.other_cell.org.id}",
                f"/console/members/unlinked?org={b.org.id}", f"/console/members?org={commune.commune.id}"):
        reply = await api_client.get(url)
        assert reply.status_code in (403, 404) and "<html" in reply.text and b.secretary.full_name not in reply.text, url
    before = await _count(session, InviteCode)
    reply = await api_client.post(f"/console/members/{b.members[0].id}/invite", data={"csrf": csrf})
    assert reply.status_code == 404 and texts.common.NOT_FOUND in reply.text
    sheet = await api_client.post("/console/members/invite-sheet", data={"csrf": csrf, "org": str(b.org.id), "days": "14"})
    assert sheet.status_code == 404
    assert await _count(session, InviteCode) == before
    # Their own cell works.
    own = await api_client.post(f"/console/members/{commune.cells[0].members[0].id}/invite", data={"csrf": csrf})
    assert own.status_code == 200 and "Mã:" in own.text
    assert await _count(session, InviteCode) == before + 1


async def test_a_form_without_its_csrf_token_changes_nothing(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    from core.orgs.models import ChannelLink

    session.add(ChannelLink(member_id=commune.cells[0].secretary.id, platform="telegram", platform_user_id=str(SECRETARY_A), chat_id=str(SECRETARY_A)))
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    target = commune.cells[0].members[0].id
    for data, headers in (({}, {}), ({"csrf": "0" * 64}, {}), ({}, {"X-CSRF-Token": "forged"})):
        reply = await api_client.post(f"/console/members/{target}/invite", data=data, headers=headers)
        assert reply.status_code == 403 and texts.console.CSRF_FAILED in reply.text
        everywhere = await api_client.post("/console/signout-all", data=data, headers=headers)
        assert everywhere.status_code == 403
    assert await _count(session, InviteCode) == 0
    assert (await api_client.get("/console/")).status_code == 200  # still signed in
    # htmx sends the token as a header: accepted.
    assert (await api_client.post(f"/console/members/{target}/invite", headers={"X-CSRF-Token": csrf_of(home), "HX-Request": "true"})).status_code == 200


async def test_idle_absolute_expiry_and_signing_out_everywhere(api_client, console_harness, session, cipher, clock) -> None:
    await make_commune(session, cipher)
    await session.commit()
    await sign_in(api_client, console_harness, SECRETARY_A)
    clock.advance(seconds=console.SESSION_IDLE.total_seconds() - 60)
    assert (await api_client.get("/console/")).status_code == 200  # used in time: the idle clock restarts
    clock.advance(seconds=console.SESSION_IDLE.total_seconds() - 60)
    assert (await api_client.get("/console/")).status_code == 200
    clock.advance(seconds=console.SESSION_IDLE.total_seconds() + 1)
    idle = await api_client.get("/console/")
    assert idle.status_code == 401 and texts.console.NOT_SIGNED_IN in idle.text

    home = await sign_in(api_client, console_harness, SECRETARY_A)
    for _ in range(int(console.SESSION_LIFETIME / dt.timedelta(minutes=25)) + 1):
        clock.advance(minutes=25)
        await api_client.get("/console/")
    assert (await api_client.get("/console/")).status_code == 401  # 12 hours after signing in, however busy

    home = await sign_in(api_client, console_harness, SECRETARY_A)
    cookies = dict(api_client.cookies)
    await sign_in(api_client, console_harness, SECRETARY_A)  # a second browser (the client's cookie now is the second's)
    out = await api_client.post("/console/signout-all", data={"csrf": csrf_of((await api_client.get("/console/")).text)})
    assert out.status_code == 200 and texts.console.SIGNED_OUT_ALL.format(count=2) in out.text
    api_client.cookies.clear()
    api_client.cookies.update(cookies)
    assert (await api_client.get("/console/")).status_code == 401
    assert home


async def test_the_mini_app_signs_in_with_telegrams_signature_and_refuses_a_forgery(api_client, runtime, session, cipher, clock) -> None:
    from aiogram.utils.web_app import safe_parse_webapp_init_data

    await make_commune(session, cipher)
    await session.commit()
    token = runtime.settings.telegram_token.get_secret_value()
    now = int(clock.now().timestamp())
    good = init_data(token, SECRETARY_A, auth_date=now)
    safe_parse_webapp_init_data(token, good)  # aiogram's own check agrees it is Telegram's signature
    page = await api_client.get("/console/app")
    assert page.status_code == 200 and "console.js" in page.text
    forgeries = [
        init_data("43:ANOTHER_BOTS_TOKEN", SECRETARY_A, auth_date=now),  # signed with another bot's token
        init_data(token, SECRETARY_A, auth_date=now, key="NotWebAppData"),
        good.replace("%22id%22%3A1001", "%22id%22%3A2001"),  # the user changed after signing
        init_data(token, SECRETARY_A, auth_date=now - 2 * 3600),  # old
        "hash=00&user=%7B%22id%22%3A1001%7D",
        "",
    ]
    for forged in forgeries:
        reply = await api_client.post("/console/app", data={"init_data": forged})
        assert reply.status_code in (403, 422), forged
        assert texts.console.WEBAPP_INVALID in reply.text or reply.status_code == 422
    assert await _count(session, ConsoleSession) == 0
    plain = await api_client.post("/console/app", data={"init_data": init_data(token, MEMBER_A, auth_date=now)})
    assert plain.status_code == 403 and texts.console.MANAGERS_ONLY in plain.text
    signed = await api_client.post("/console/app", data={"init_data": good})
    assert signed.status_code == 303
    assert (await api_client.get("/console/")).status_code == 200
    [record] = (await session.execute(select(ConsoleSession))).scalars().all()
    assert record.via == "webapp"
    assert time.time() > 0


async def test_https_console_adds_a_mini_app_button_and_secure_cookies(api_client, harness, runtime, session, cipher, clock) -> None:
    await make_commune(session, cipher)
    await session.commit()
    harness.dispatcher["console_base"] = "https://sotay.example"
    calls = await harness.text(SECRETARY_A, texts.console.BTN_OPEN_CONSOLE)
    [message] = [c for c in calls if getattr(c, "text", None)]
    assert "https://sotay.example/console/login/" in message.text
    [[button]] = message.reply_markup.inline_keyboard
    assert button.web_app.url == "https://sotay.example/console/app"
    assert message.link_preview_options.is_disabled

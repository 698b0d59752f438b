"""Signing in and out: the one-time link from the bot, the Telegram Mini App, the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.deps import ConsoleUser, CsrfChecked, clear_session_cookie, set_session_cookie
from api.console.pages import CSP_MINI_APP, render, secure
from api.deps import ClockDep, RuntimeDep, SessionDep
from core import texts
from core.console import service as console
from core.orgs import management
from core.orgs.models import Member
from core.orgs.service import subtree_member_count, unlinked_members

router = APIRouter(include_in_schema=False)


def _https(runtime: RuntimeDep) -> bool:  # type: ignore[valid-type]
    return runtime.settings.resolved_public_url.startswith("https://")  # type: ignore[attr-defined]


def _home(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url_for("console_home").path, status_code=303)


@router.get("/", name="console_home")
async def home(request: Request, user: ConsoleUser, session: SessionDep) -> HTMLResponse:
    rows = []
    for org in management.visible_roots(user.actor):
        if not user.actor.manages(org):
            continue
        unlinked = len(await unlinked_members(session, cell_id=org.id)) if org.is_cell else None
        rows.append({"org": org, "count": await subtree_member_count(session, org), "unlinked": unlinked})
    return render(request, "home.html", user, rows=rows, idle=int(console.SESSION_IDLE.total_seconds() // 60),
                  hours=int(console.SESSION_LIFETIME.total_seconds() // 3600))


@router.get("/signin", name="console_signin")
async def how_to_sign_in(request: Request) -> HTMLResponse:
    return render(request, "error.html", status_code=401, message=texts.console.SIGNIN_HOWTO, sign_in=True, title=texts.console.SIGNIN_TITLE)


@router.get("/login/{token}", name="console_login")
async def login_page(request: Request, token: str, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    """Only shows a button: messengers fetch links to draw previews, and a preview must not spend the link."""
    link = await console.peek_login_link(session, token, now=clock.now())
    member = await session.get(Member, link.member_id)
    return render(request, "signin.html", name=member.full_name if member else "", action=request.url_for("console_login_post", token=token).path)


@router.post("/login/{token}", name="console_login_post")
async def login(request: Request, token: str, session: SessionDep, clock: ClockDep, runtime: RuntimeDep) -> RedirectResponse:
    issued = await console.redeem_login_link(session, token, now=clock.now())
    response = _home(request)
    set_session_cookie(request, response, issued.token, https=_https(runtime))
    return response


@router.get("/app", name="console_mini_app")
async def mini_app(request: Request) -> HTMLResponse:
    """The Telegram Mini App: Telegram puts `tgWebAppData` in the address's fragment; console.js posts it here."""
    return render(request, "mini_app.html", csp=CSP_MINI_APP, action=request.url_for("console_mini_app_post").path)


@router.post("/app", name="console_mini_app_post")
async def mini_app_sign_in(
    request: Request, init_data: Annotated[str, Form(max_length=4096)], session: SessionDep, clock: ClockDep, runtime: RuntimeDep
) -> RedirectResponse:
    token = runtime.settings.telegram_token
    if token is None:
        raise console.SignInRefused(texts.console.WEBAPP_INVALID)
    issued = await console.sign_in_with_webapp(session, init_data, bot_token=token.get_secret_value(), now=clock.now())
    response = _home(request)
    set_session_cookie(request, response, issued.token, https=_https(runtime))
    return response


@router.post("/signout", name="console_signout")
async def sign_out(request: Request, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    await console.sign_out(session, user.record, now=clock.now())
    response = render(request, "error.html", status_code=200, message=texts.console.SIGNED_OUT, sign_in=True, title=texts.console.SIGNED_OUT)
    clear_session_cookie(response)
    return secure(response)


@router.post("/signout-all", name="console_signout_all")
async def sign_out_everywhere(request: Request, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    count = await console.sign_out_everywhere(session, user.member.id, now=clock.now())
    message = texts.console.SIGNED_OUT_ALL.format(count=count)
    response = render(request, "error.html", status_code=200, message=message, sign_in=True, title=texts.console.SIGNED_OUT)
    clear_session_cookie(response)
    return secure(response)

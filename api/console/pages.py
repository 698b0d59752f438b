"""Rendering console pages: the Jinja2 environment, security headers, the HTML error page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.console.markup import telegram_html
from core import texts

if TYPE_CHECKING:
    from api.console.deps import SignedIn

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["T"] = texts.console
# Core texts (refusals, warnings) are Telegram HTML: `{{ problem|tg }}` shows them as the messenger does.
templates.env.filters["tg"] = telegram_html

# Everything the pages load comes from here; no inline script; not framed (the Mini App page is
# the one exception, since Telegram's web client shows Mini Apps in a frame).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
CSP_MINI_APP = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self' https://web.telegram.org")
# A printable sheet carries its own <style> (core.orgs.invite_sheet): inline style only, still no script.
CSP_PRINT = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def secure(response: HTMLResponse, *, csp: str = CSP) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = csp
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # a sign-in link never leaves in a Referer
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def render(request: Request, template: str, user: SignedIn | None = None, *, status_code: int = 200, csp: str = CSP,
           **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, template, {"user": user, **context}, status_code=status_code)
    return secure(response, csp=csp)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """Every refusal under /console (api.errors sends them here): the reason in Vietnamese, never JSON."""
    return render(request, "error.html", None, status_code=status_code, message=message,
                  sign_in=status_code == 401)

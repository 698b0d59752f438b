"""The demo's chat page, served by the API app when `sotay demo` runs (never in production)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from sandbox.web import WEB_DIR


def sandbox_address(request: Request, sandbox_url: str, sandbox_port: int | None) -> str:
    """The sandbox as the visitor's browser reaches it: by the host name the visitor used for this
    page (a phone on the training room's network knows this laptop by its LAN address, not 127.0.0.1)."""
    if sandbox_port is None or request.url.hostname is None:
        return sandbox_url
    host = request.url.hostname
    return f"{request.url.scheme}://{'[' + host + ']' if ':' in host else host}:{sandbox_port}"


def chat_page_url(request: Request, sandbox_url: str, sandbox_port: int | None, **extra: str) -> str:
    """/demo/?api=…, keeping what the visitor asked for (?user=700008 opens that person's phone)."""
    query = [("api", sandbox_address(request, sandbox_url, sandbox_port))]
    query += [(key, value) for key, value in request.query_params.multi_items() if key != "api" and key not in extra]
    query += list(extra.items())
    return "/demo/?" + urlencode(query, safe=":/")


def mount_demo(app: FastAPI, sandbox_url: str, *, sandbox_port: int | None = None) -> None:
    @app.get("/", include_in_schema=False)
    async def demo_home(request: Request) -> RedirectResponse:
        return RedirectResponse(chat_page_url(request, sandbox_url, sandbox_port))

    app.mount("/demo", StaticFiles(directory=WEB_DIR, html=True), name="demo")

"""The demo's chat page, mounted on the HTTP app by the composition root when `sotay demo` runs (never in production)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from sandbox.web import WEB_DIR


def mount_demo(app: FastAPI, sandbox_url: str) -> None:
    target = f"/demo/?api={quote(sandbox_url, safe=':/')}"

    @app.get("/", include_in_schema=False)
    async def demo_home() -> RedirectResponse:
        return RedirectResponse(target)

    app.mount("/demo", StaticFiles(directory=WEB_DIR, html=True), name="demo")

"""The web console at /console: server-rendered pages (Jinja2, a little htmx) over the same core
services and the same `Actor` permission checks as the bot and the REST API.

Layout, for whoever adds a page:
- `deps.py`: `ConsoleUser` (who the browser is: session, member, Actor, CSRF token; a page for
  those who lead a cell or sit on a committee) and `CsrfChecked` (every POST depends on it).
- `pages.py`: `render(request, "x.html", user, **context)` and the HTML error page.
- `templates/base.html`: the frame (navigation, sign-out forms); a page extends it and fills
  `{% block content %}`. Every word a person reads comes from `core.texts.console` (as `T`).
- `static/`: console.css, console.js and htmx (vendored: nothing is fetched from elsewhere).
- one module per page group (`auth.py`, `members.py`), each with its own `router`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/console"


def install_console(app: FastAPI) -> None:
    from api.console import attendance, auth, meetings, members, notices, pages

    app.state.html_error_page = pages.error_page
    app.include_router(auth.router, prefix=PREFIX)
    app.include_router(members.router, prefix=PREFIX)
    app.include_router(attendance.router, prefix=PREFIX)  # before meetings: /meetings/rules is not a meeting id
    app.include_router(meetings.router, prefix=PREFIX)
    app.include_router(notices.router, prefix=PREFIX)
    from api.console import documents, feedback, figures, recordings, reminders, reports, study  # the desk pages

    for desk in (figures, reports, feedback, documents, study, reminders, recordings):
        app.include_router(desk.router, prefix=PREFIX)
    from api.console import votes  # votes and the annual review (docs/votes.md)

    app.include_router(votes.router, prefix=PREFIX)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="console-static")

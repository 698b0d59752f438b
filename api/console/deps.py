"""Who the browser is, and the CSRF check every console form passes.

`ConsoleUser` is the console's `CurrentActor`: the same `Actor` the REST API and the bot use answers
every permission question; this only replaces the bearer token with a session cookie.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response

from api.deps import ClockDep, RuntimeDep, SessionDep
from core import texts
from core.console import service as console
from core.console.models import ConsoleSession
from core.orgs.models import Member
from core.orgs.service import Actor, load_actor

COOKIE = "sotay_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class SignedIn:
    record: ConsoleSession
    member: Member
    actor: Actor
    csrf: str


def secret_of(runtime: RuntimeDep) -> bytes:  # type: ignore[valid-type]
    return runtime.settings.secret_key_value().encode()  # type: ignore[attr-defined]


def set_session_cookie(request: Request, response: Response, token: str, *, https: bool) -> None:
    response.set_cookie(COOKIE, token, max_age=int(console.SESSION_LIFETIME.total_seconds()), path="/console",
                        httponly=True, secure=https or request.url.scheme == "https", samesite="lax")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="lax")


async def get_signed_in(request: Request, session: SessionDep, clock: ClockDep, runtime: RuntimeDep) -> SignedIn:
    token = request.cookies.get(COOKIE)
    found = await console.authenticate(session, token, now=clock.now())
    if found is None or token is None:
        raise HTTPException(401, texts.console.NOT_SIGNED_IN)
    record, member = found
    actor = await load_actor(session, member, via=f"console:session:{record.id}")
    if not console.may_use_console(actor):  # a function taken away since signing in
        raise HTTPException(403, texts.console.MANAGERS_ONLY)
    return SignedIn(record=record, member=member, actor=actor, csrf=console.csrf_token(secret_of(runtime), token))


ConsoleUser = Annotated[SignedIn, Depends(get_signed_in)]


async def check_csrf(request: Request, user: ConsoleUser) -> SignedIn:
    """A POST carries the session's form token (a hidden field, or htmx's header); refused before
    the route runs otherwise, so nothing changes."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given, user.csrf):
        raise HTTPException(403, texts.console.CSRF_FAILED)
    return user


CsrfChecked = Annotated[SignedIn, Depends(check_csrf)]

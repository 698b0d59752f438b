"""FastAPI dependencies, stacked so a route reads like a sentence.

The session commits here, at the edge, when the route returned without error, and before the
answer is sent (see `SessionDep`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from api.ports import ApiRuntime
from core import audit, storage, texts
from core.clock import Clock
from core.crypto import FieldCipher
from core.orgs import tokens
from core.orgs.models import ApiToken, Member
from core.orgs.service import Actor, load_actor


def get_runtime(request: Request) -> ApiRuntime:
    return request.app.state.runtime


RuntimeDep = Annotated[ApiRuntime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    written: list[Path] = []
    marker = storage.new_files.set(written)
    try:
        async with runtime.session_factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                for path in written:  # files stored for a change that did not happen
                    path.unlink(missing_ok=True)
                raise
    finally:
        storage.new_files.reset(marker)


# scope="function": FastAPI runs the code after `yield` when the route has returned and its answer is
# serialised, but BEFORE the answer is sent. With the default ("request") it runs after the answer
# left, so a client could read 201 for a change whose commit then failed. Commit, then answer; a
# failed commit reaches the error handlers and is a 500.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_clock(runtime: RuntimeDep) -> Clock:
    return runtime.clock


def get_cipher(runtime: RuntimeDep) -> FieldCipher:
    return runtime.cipher


ClockDep = Annotated[Clock, Depends(get_clock)]
CipherDep = Annotated[FieldCipher, Depends(get_cipher)]

_bearer = HTTPBearer(auto_error=False, description="Personal access token from `sotay token create`")


async def get_token_holder(
    session: SessionDep,
    clock: ClockDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> tuple[ApiToken, Member]:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, texts.api.TOKEN_REQUIRED, headers={"WWW-Authenticate": "Bearer"})
    found = await tokens.authenticate(session, credentials.credentials, now=clock.now())
    if found is None:
        raise HTTPException(401, texts.api.TOKEN_INVALID, headers={"WWW-Authenticate": "Bearer"})
    return found


TokenHolderDep = Annotated[tuple[ApiToken, Member], Depends(get_token_holder)]


async def get_current_member(holder: TokenHolderDep) -> Member:
    return holder[1]


CurrentMember = Annotated[Member, Depends(get_current_member)]


async def get_current_actor(session: SessionDep, holder: TokenHolderDep) -> Actor:
    token, member = holder
    return await load_actor(session, member, via=f"api:token:{token.id}")


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


class AuditTrail:
    """Records the caller's writes: `await audit_trail("api.member.update", org_id=…, target="member:7")`.

    The detail holds ids, counts and field names, never values (no personal data in the log).
    """

    def __init__(self, session: AsyncSession, actor: Actor, token: ApiToken, clock: Clock) -> None:
        self.session = session
        self.actor = actor
        self.token = token
        self.clock = clock

    async def __call__(self, action: str, *, org_id: int | None, target: str, detail: dict[str, object] | None = None) -> None:
        await audit.record(
            self.session,
            action,
            actor_member_id=self.actor.member.id,
            actor_platform_user=self.actor.via,
            org_id=org_id,
            target=target,
            detail=detail,
            at=self.clock.now(),
        )


async def get_audit_trail(session: SessionDep, actor: CurrentActor, holder: TokenHolderDep, clock: ClockDep) -> AuditTrail:
    return AuditTrail(session, actor, holder[0], clock)


AuditDep = Annotated[AuditTrail, Depends(get_audit_trail)]


async def get_audited_actor(trail: AuditDep) -> Actor:
    """For a write whose audit row core records itself (meetings, notices, reminder settings):
    the caller, carrying its token (`Actor.via`) into that row, so the action is recorded once
    whether it comes from the API, Telegram or Zalo."""
    return trail.actor


AuditedActor = Annotated[Actor, Depends(get_audited_actor)]


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def reject_nul_in_form(request: Request) -> None:
    """Form fields and file names with NUL (U+0000) are refused with 422 before a route stores anything:
    PostgreSQL cannot keep NUL in text, so such a value would fail after an uploaded file was written.
    (JSON bodies, paths and query strings: `api.middleware.RejectNulCharacters`.) The form is the one
    FastAPI parsed for the route, cached on the request."""
    if not request.headers.get("content-type", "").lower().startswith(_FORM_TYPES):
        return
    form = await request.form()
    problems = []
    for key, value in form.multi_items():
        texts_ = [key, value] if isinstance(value, str) else [key, value.filename or ""]
        if any("\x00" in text for text in texts_):
            problems.append({"type": "nul_character", "loc": ("body", key.replace("\x00", "")),
                             "msg": "text and file names must not contain NUL characters", "input": None})
    if problems:
        raise RequestValidationError(problems)


RejectNulInForm = Annotated[None, Depends(reject_nul_in_form)]

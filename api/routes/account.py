"""The caller: who they are, and their personal access tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from api.deps import AuditDep, ClockDep, CurrentActor, SessionDep, TokenHolderDep
from api.schemas.account import MeOut, TokenCreate, TokenCreated, TokenOut
from api.schemas.common import id_path
from core.orgs import management

router = APIRouter(tags=["account"])
TokenId = Annotated[int, id_path("Token id")]


@router.get("/me", summary="Who the token belongs to, with their functions")
async def me(actor: CurrentActor) -> MeOut:
    return MeOut.of(actor)


@router.get("/tokens", summary="The caller's own tokens (never the secret)")
async def list_tokens(session: SessionDep, actor: CurrentActor) -> list[TokenOut]:
    return [TokenOut.of(record) for record in await management.own_tokens(session, actor)]


@router.post("/tokens", summary="A new personal token for the caller, shown once; it expires no later than the token "
                               "that creates it and is revoked with it", status_code=status.HTTP_201_CREATED)
async def create_token(
    body: TokenCreate, session: SessionDep, actor: CurrentActor, holder: TokenHolderDep, audit_trail: AuditDep, clock: ClockDep,
) -> TokenCreated:
    issued = await management.issue_token(session, actor, name=body.name, days=body.days, now=clock.now(), parent=holder[0])
    await audit_trail("api.token.create", org_id=None, target=f"token:{issued.record.id}")
    return TokenCreated(**TokenOut.of(issued.record).model_dump(), token=issued.token)


@router.delete("/tokens/{token_id}", summary="Revoke one of the caller's tokens and every token created with it (revoking twice is harmless)")
async def revoke_token(token_id: TokenId, session: SessionDep, actor: CurrentActor, audit_trail: AuditDep, clock: ClockDep) -> TokenOut:
    record = await management.revoke_own_token(session, actor, token_id=token_id, now=clock.now())
    await audit_trail("api.token.revoke", org_id=None, target=f"token:{token_id}")
    return TokenOut.of(record)

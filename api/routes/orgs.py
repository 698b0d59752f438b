"""Organisations the caller can see: their roots, one organisation, its subtree; new units."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import AuditDep, CurrentActor, SessionDep
from api.errors import error_responses
from api.schemas.common import id_path
from api.schemas.orgs import OrgCreate, OrgDetail, OrgNodeOut, OrgOut
from core.orgs import management

router = APIRouter(tags=["organisations"])
OrgId = Annotated[int, id_path("Organisation id")]


@router.get("/orgs", summary="The caller's organisations: the tops of what they may see")
async def list_roots(actor: CurrentActor) -> list[OrgOut]:
    return [OrgOut.of(org, actor) for org in management.visible_roots(actor)]


@router.get("/orgs/{org_id}", summary="One organisation with its member count")
async def get_org(org_id: OrgId, session: SessionDep, actor: CurrentActor) -> OrgDetail:
    org = await management.visible_org(session, actor, org_id)
    return OrgDetail(**OrgOut.of(org, actor).model_dump(), member_count=await management.subtree_size(session, org))


@router.get("/orgs/{org_id}/tree", summary="The subtree under an organisation, with member counts")
async def get_tree(
    org_id: OrgId,
    session: SessionDep,
    actor: CurrentActor,
    max_depth: Annotated[int | None, Query(ge=0, le=20, description="Levels below the organisation; all when omitted")] = None,
) -> OrgNodeOut:
    return OrgNodeOut.of(await management.org_tree(session, actor, org_id=org_id, max_depth=max_depth))


@router.post(
    "/orgs",
    summary="Create a committee or cell under a committee the caller manages",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409),
)
async def create_org(body: OrgCreate, session: SessionDep, actor: CurrentActor, audit_trail: AuditDep) -> OrgOut:
    org = await management.create_child_org(session, actor, parent_id=body.parent_id, name=body.name, kind=body.kind, code=body.code)
    await audit_trail("api.org.create", org_id=org.id, target=f"org:{org.id}", detail={"parent_id": body.parent_id, "kind": org.kind.value})
    return OrgOut.of(org, actor)

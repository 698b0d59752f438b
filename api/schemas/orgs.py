"""Organisations: committees (đảng bộ) and cells (chi bộ)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Id
from core.orgs.management import OrgNode
from core.orgs.models import Org, OrgKind
from core.orgs.service import Actor


class OrgOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 4, "parent_id": 2, "kind": "cell", "name": "Chi bộ thôn Khe Gầy", "code": None, "depth": 2, "managed": True}
            ]
        }
    )

    id: int
    parent_id: int | None
    kind: OrgKind
    name: str
    code: str | None
    depth: int = Field(description="0 for a root organisation")
    managed: bool = Field(description="Whether the caller manages it (secretary, deputy, committee above)")

    @classmethod
    def of(cls, org: Org, actor: Actor) -> OrgOut:
        return cls(id=org.id, parent_id=org.parent_id, kind=org.kind, name=org.name, code=org.code, depth=org.depth, managed=actor.manages(org))


class OrgDetail(OrgOut):
    member_count: int = Field(description="Active members in the whole subtree", examples=[146])


class OrgNodeOut(BaseModel):
    id: int
    kind: OrgKind
    name: str
    code: str | None
    members: int = Field(description="Active members directly in this organisation")
    total_members: int = Field(description="Active members in its whole subtree")
    children: list[OrgNodeOut]

    @classmethod
    def of(cls, node: OrgNode) -> OrgNodeOut:
        return cls(
            id=node.org.id,
            kind=node.org.kind,
            name=node.org.name,
            code=node.org.code,
            members=node.members,
            total_members=node.total_members,
            children=[cls.of(child) for child in node.children],
        )


class OrgCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"parent_id": 2, "name": "Chi bộ thôn Nậm Khắt", "kind": "cell", "code": "NK-01"}]},
    )

    parent_id: Id = Field(description="A committee the caller manages")
    name: str = Field(min_length=1, max_length=255)
    kind: OrgKind = OrgKind.CELL
    code: str | None = Field(default=None, max_length=64, description="Unique short code, optional")

"""The caller (`/me`) and their personal access tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import StrictInt
from core.orgs.management import MAX_TOKEN_DAYS
from core.orgs.models import ApiToken, OrgKind, RoleKind
from core.orgs.service import Actor


class RoleOut(BaseModel):
    role: RoleKind
    org_id: int
    org_name: str
    org_kind: OrgKind


class MeOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": 1,
                    "full_name": "Nguyễn Văn An",
                    "cell_id": 3,
                    "cell_name": "Chi bộ thôn Khe Gầy",
                    "roles": [{"role": "secretary", "org_id": 3, "org_name": "Chi bộ thôn Khe Gầy", "org_kind": "cell"}],
                    "manages": [3],
                }
            ]
        }
    )

    member_id: int
    full_name: str
    cell_id: int
    cell_name: str
    roles: list[RoleOut]
    manages: list[int] = Field(description="Organisations whose subtree the caller manages")

    @classmethod
    def of(cls, actor: Actor) -> MeOut:
        return cls(
            member_id=actor.member.id,
            full_name=actor.member.full_name,
            cell_id=actor.cell.id,
            cell_name=actor.cell.name,
            roles=[RoleOut(role=role, org_id=org.id, org_name=org.name, org_kind=org.kind) for role, org in actor.roles],
            manages=[org.id for org in actor.managed_orgs],
        )


class TokenOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "name": "Máy tính văn phòng Đảng ủy",
                    "prefix": "sotay_Ab3x",
                    "created_at": "2026-11-23T03:00:00Z",
                    "expires_at": "2027-02-21T03:00:00Z",
                    "revoked_at": None,
                    "last_used_at": "2026-11-23T03:05:00Z",
                }
            ]
        }
    )

    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @classmethod
    def of(cls, record: ApiToken) -> TokenOut:
        return cls(
            id=record.id,
            name=record.name,
            prefix=record.prefix,
            created_at=record.created_at,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
            last_used_at=record.last_used_at,
        )


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Máy tính văn phòng Đảng ủy", "days": 90}]})

    name: str = Field(default="", max_length=128, description="What the token is for")
    days: StrictInt = Field(default=90, ge=1, le=MAX_TOKEN_DAYS,
                           description="Days until it expires; never later than the token that creates it")


class TokenCreated(TokenOut):
    token: str = Field(description="The secret, shown this once; store it safely", examples=["sotay_Ab3x…"])

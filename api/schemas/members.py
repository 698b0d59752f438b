"""Member records. Citizen ID and phone are masked unless a manager asks with `reveal=true`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from pydantic.json_schema import SkipJsonSchema

from api.schemas.common import Id
from core.crypto import FieldCipher
from core.orgs.management import MemberDraft, MemberRecord, identifiers_of
from core.orgs.models import Gender

CARD_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z./-]{0,31}$"
CITIZEN_ID_PATTERN = r"^[0-9]{12}$"
PHONE_EXAMPLE = "0912345678"

# Constraints sit on the string itself, so an optional field (`X | None`) still validates a null.
FullName = Annotated[str, Field(min_length=1, max_length=255)]
CardNumber = Annotated[str, Field(pattern=CARD_PATTERN)]
CitizenId = Annotated[str, Field(pattern=CITIZEN_ID_PATTERN, description="Số định danh cá nhân, 12 digits")]
Phone = Annotated[str, Field(max_length=20, examples=[PHONE_EXAMPLE])]


class MemberRecordOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "org_id": 4,
                    "cell_name": "Chi bộ thôn Khe Gầy",
                    "full_name": "Nguyễn Văn An",
                    "date_of_birth": "1958-05-17",
                    "gender": "male",
                    "joined_on": "1985-03-03",
                    "official_on": "1986-03-03",
                    "probationary": False,
                    "card_number": "12345678",
                    "citizen_id": "0010******12",
                    "phone": "09******78",
                    "identifiers_masked": True,
                    "exempt": False,
                    "exempt_receives_notices": False,
                    "active": True,
                    "linked": True,
                }
            ]
        }
    )

    id: int
    org_id: int = Field(description="The cell the member belongs to")
    cell_name: str
    full_name: str
    date_of_birth: dt.date
    gender: Gender
    joined_on: dt.date = Field(description="Ngày vào Đảng")
    official_on: dt.date | None = Field(description="Ngày chính thức; null while probationary")
    probationary: bool
    card_number: str
    citizen_id: str = Field(description="Masked unless revealed")
    phone: str | None = Field(description="Masked unless revealed")
    identifiers_masked: bool
    exempt: bool = Field(description="Miễn sinh hoạt")
    exempt_receives_notices: bool
    active: bool
    linked: bool = Field(description="A messenger account is tied to the record")

    @classmethod
    def of(cls, record: MemberRecord, cipher: FieldCipher, *, reveal: bool = False) -> MemberRecordOut:
        member = record.member
        identifiers = identifiers_of(member, cipher, reveal=reveal)
        return cls(
            id=member.id,
            org_id=member.org_id,
            cell_name=record.cell.name,
            full_name=member.full_name,
            date_of_birth=member.date_of_birth,
            gender=member.gender,
            joined_on=member.joined_on,
            official_on=member.official_on,
            probationary=member.is_probationary,
            card_number=member.card_number,
            citizen_id=identifiers.citizen_id,
            phone=identifiers.phone,
            identifiers_masked=identifiers.masked,
            exempt=member.exempt,
            exempt_receives_notices=member.exempt_receives_notices,
            active=member.active,
            linked=record.linked,
        )


class MemberCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "org_id": 4,
                    "full_name": "Lò Thị Bình",
                    "date_of_birth": "1990-08-02",
                    "gender": "female",
                    "joined_on": "2015-05-19",
                    "official_on": "2016-05-19",
                    "card_number": "93012345",
                    "citizen_id": "014190001234",
                    "phone": PHONE_EXAMPLE,
                    "exempt": False,
                }
            ]
        },
    )

    org_id: Id = Field(description="A cell the caller manages")
    full_name: FullName
    date_of_birth: dt.date
    gender: Gender
    joined_on: dt.date
    official_on: dt.date | None = Field(default=None, description="Leave out for a probationary member")
    card_number: CardNumber
    citizen_id: CitizenId
    phone: Phone | None = None
    exempt: StrictBool = False
    exempt_receives_notices: StrictBool = Field(True, description="An exempt member still receives notices, resolutions and invitations (not obliged)")

    def draft(self) -> MemberDraft:
        return MemberDraft(**self.model_dump(exclude={"org_id"}))


class MemberPatch(BaseModel):
    """Only the fields sent change; `official_on` and `phone` may be set to null."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"official_on": "2026-05-19"}, {"phone": None, "exempt": True}, {"org_id": 5}]},
    )

    org_id: Id | SkipJsonSchema[None] = Field(default=None, description="Move to another cell the caller manages")
    full_name: FullName | SkipJsonSchema[None] = None
    date_of_birth: dt.date | SkipJsonSchema[None] = None
    gender: Gender | SkipJsonSchema[None] = None
    joined_on: dt.date | SkipJsonSchema[None] = None
    official_on: dt.date | None = None
    card_number: CardNumber | SkipJsonSchema[None] = None
    citizen_id: CitizenId | SkipJsonSchema[None] = None
    phone: Phone | None = None
    exempt: StrictBool | SkipJsonSchema[None] = None
    exempt_receives_notices: StrictBool | SkipJsonSchema[None] = None
    active: StrictBool | SkipJsonSchema[None] = Field(default=None, description="true reactivates a retired record")

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class InviteOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "q9V3kM2xT1bZpL0w", "link": "https://t.me/sotay_bot?start=q9V3kM2xT1bZpL0w", "expires_at": "2026-12-07T03:00:00Z"}]
        }
    )

    code: str = Field(description="One-time code; shown once, stored hashed")
    link: str | None = Field(description="https://t.me/<bot>?start=<code>; null when the bot's username is unknown")
    expires_at: dt.datetime


class ResetLinkOut(BaseModel):
    reset: bool = Field(description="False when no account was tied to the record")
    platforms: list[str] = Field(default_factory=list, description="The messengers untied (telegram, zalo)")


class ImportResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"created": 140, "updated": 4, "unchanged": 2}]})

    created: int
    updated: int
    unchanged: int

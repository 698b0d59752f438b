"""Reminder settings of a cell, or a committee's defaults for the cells below it: when meeting and
study reminders go out, and the quiet hours. A value not set at this level is inherited from the
committees above (`sources` says from which). The core service checks who asks and records the
change in the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AuditedActor, ClockDep, CurrentActor, SessionDep
from api.schemas.common import StrictBool, StrictInt, id_path
from core.scheduling import service
from core.scheduling.service import SettingsView
from core.scheduling.settings import KEYS, as_raw

router = APIRouter(tags=["reminders"])
OrgId = Annotated[int, id_path("The cell (chi bộ), or a committee (đảng bộ) for its cells' defaults")]
SettingKey = Literal[KEYS]  # type: ignore[valid-type]  # the stored keys, named once in core


class ValueSource(BaseModel):
    own: bool = Field(description="true: set at this organisation; false: inherited")
    org_id: int | None = Field(description="The organisation it is set at; null: the built-in default")
    org_name: str | None = None

TIME_PATTERN = r"^\d{1,2}[:hH]\d{2}$"


class ReminderSettingsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "org_id": 4, "enabled": True, "eve_time": "20:00", "before_minutes": 120, "nudge_hours": 48,
                "quiet_start": "22:00", "quiet_end": "07:00", "study_days_before": [3, 1], "study_time": "19:00",
                "sources": {
                    "eve_time": {"own": True, "org_id": 4, "org_name": "Chi bộ thôn Khe Gầy"},
                    "quiet_start": {"own": False, "org_id": 2, "org_name": "Đảng bộ xã Mù Cang Chải"},
                    "before_minutes": {"own": False, "org_id": None, "org_name": None},
                },
            }]
        }
    )

    org_id: int
    enabled: bool = Field(description="false: no meeting reminder at all for this cell")
    eve_time: str | None = Field(description="Local time of the reminder the evening before; null: none")
    before_minutes: int = Field(description="Minutes before the start of the last reminder; 0: none")
    nudge_hours: int = Field(description="Hours before the start of the nudge to members who have not answered; 0: none")
    quiet_start: str = Field(description="Start of the quiet hours (local): no reminder is sent then")
    quiet_end: str = Field(description="End of the quiet hours (equal to the start: none)")
    study_days_before: list[int] = Field(description="Study reminders: days before a campaign's deadline; empty: none")
    study_time: str = Field(description="Local time of study reminders")
    sources: dict[str, ValueSource] = Field(description="For each setting: set here, or inherited (from which organisation)")

    @classmethod
    def of(cls, view: SettingsView) -> ReminderSettingsOut:
        sources = {
            key: ValueSource(own=view.is_own(key), org_id=org_id, org_name=view.names.get(org_id) if org_id is not None else None)
            for key, org_id in view.source.items()
        }
        return cls(org_id=view.org.id, sources=sources, **as_raw(view.settings))


class ReminderSettingsChange(BaseModel):
    """Only the fields given are set at this organisation; those in `inherit` go back to the value
    of the committees above. Re-plans the upcoming reminders affected."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"eve_time": "20:00", "before_minutes": 60}, {"enabled": False}, {"eve_time": None},
            {"quiet_start": "22:00", "quiet_end": "07:00"}, {"inherit": ["eve_time", "quiet_start", "quiet_end"]},
        ]},
    )

    enabled: StrictBool | None = None
    eve_time: str | None = Field(None, pattern=TIME_PATTERN, description="HH:MM, or null to switch it off")
    before_minutes: StrictInt | None = Field(None, ge=0, le=24 * 60, description="0 switches it off; else 15 to 1440")
    nudge_hours: StrictInt | None = Field(None, ge=0, le=14 * 24, description="0 switches it off; else 1 to 336")
    quiet_start: str | None = Field(None, pattern=TIME_PATTERN)
    quiet_end: str | None = Field(None, pattern=TIME_PATTERN)
    study_days_before: list[StrictInt] | None = Field(None, max_length=5, description="Each 1 to 30")
    study_time: str | None = Field(None, pattern=TIME_PATTERN)
    inherit: list[SettingKey] | None = Field(
        None, max_length=len(KEYS), description="Settings to stop setting here: they follow the committees above again",
    )


@router.get(
    "/orgs/{org_id}/reminder-settings",
    summary="Reminder settings of a cell, or a committee's defaults for its cells (their leaders and the committees above)",
)
async def get_reminder_settings(org_id: OrgId, session: SessionDep, actor: CurrentActor) -> ReminderSettingsOut:
    return ReminderSettingsOut.of(await service.reminder_settings(session, actor=actor, org_id=org_id))


@router.patch(
    "/orgs/{org_id}/reminder-settings",
    summary="Change reminder settings of a cell, or a committee's defaults; upcoming reminders are re-planned",
)
async def change_reminder_settings(
    org_id: OrgId, body: ReminderSettingsChange, session: SessionDep, actor: AuditedActor, clock: ClockDep,
) -> ReminderSettingsOut:
    changes = body.model_dump(exclude_unset=True)
    inherit = changes.pop("inherit", None) or []
    # null means "off" only for the evening reminder; elsewhere it means "leave as it is".
    changes = {key: value for key, value in changes.items() if value is not None or key == "eve_time"}
    view = await service.change_reminder_settings(session, actor=actor, org_id=org_id, changes=changes, inherit=inherit, now=clock.now())
    return ReminderSettingsOut.of(view)


@router.delete(
    "/orgs/{org_id}/reminder-settings",
    summary="Go back to the committees' settings (theo cấp trên): drop every value set at this organisation",
    response_description="The settings now in force, every value inherited",
)
async def inherit_reminder_settings(
    org_id: OrgId, session: SessionDep, actor: AuditedActor, clock: ClockDep,
) -> ReminderSettingsOut:
    view = await service.change_reminder_settings(session, actor=actor, org_id=org_id, changes={}, inherit=KEYS, now=clock.now())
    return ReminderSettingsOut.of(view)

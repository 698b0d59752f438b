"""A cell's reminder settings: when meeting and study reminders go out, and the quiet hours.
The core service checks who asks and records the change in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AuditDep, ClockDep, CurrentActor, SessionDep
from api.schemas.common import StrictBool, StrictInt, id_path
from core.scheduling import service
from core.scheduling.settings import ReminderSettings, as_raw

router = APIRouter(tags=["reminders"])
CellId = Annotated[int, id_path("The cell (chi bộ)")]

TIME_PATTERN = r"^\d{1,2}[:hH]\d{2}$"


class ReminderSettingsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "org_id": 4, "enabled": True, "eve_time": "19:00", "before_minutes": 120, "nudge_hours": 48,
                "quiet_start": "21:30", "quiet_end": "06:30", "study_days_before": [3, 1], "study_time": "19:00",
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

    @classmethod
    def of(cls, org_id: int, settings: ReminderSettings) -> ReminderSettingsOut:
        return cls(org_id=org_id, **as_raw(settings))


class ReminderSettingsChange(BaseModel):
    """Only the fields given change. Re-plans the reminders of the cell's upcoming meetings."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"eve_time": "20:00", "before_minutes": 60}, {"enabled": False}, {"eve_time": None}]},
    )

    enabled: StrictBool | None = None
    eve_time: str | None = Field(None, pattern=TIME_PATTERN, description="HH:MM, or null to switch it off")
    before_minutes: StrictInt | None = Field(None, ge=0, le=24 * 60, description="0 switches it off; else 15 to 1440")
    nudge_hours: StrictInt | None = Field(None, ge=0, le=14 * 24, description="0 switches it off; else 1 to 336")
    quiet_start: str | None = Field(None, pattern=TIME_PATTERN)
    quiet_end: str | None = Field(None, pattern=TIME_PATTERN)
    study_days_before: list[StrictInt] | None = Field(None, max_length=5, description="Each 1 to 30")
    study_time: str | None = Field(None, pattern=TIME_PATTERN)


@router.get("/orgs/{org_id}/reminder-settings", summary="A cell's reminder settings (its leaders and the committees above)")
async def get_reminder_settings(org_id: CellId, session: SessionDep, actor: CurrentActor) -> ReminderSettingsOut:
    cell, settings = await service.reminder_settings(session, actor=actor, cell_id=org_id)
    return ReminderSettingsOut.of(cell.id, settings)


@router.patch("/orgs/{org_id}/reminder-settings", summary="Change a cell's reminder settings; upcoming reminders are re-planned")
async def change_reminder_settings(
    org_id: CellId, body: ReminderSettingsChange, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep,
) -> ReminderSettingsOut:
    changes = body.model_dump(exclude_unset=True)
    # null means "off" only for the evening reminder; elsewhere it means "leave as it is".
    changes = {key: value for key, value in changes.items() if value is not None or key == "eve_time"}
    cell, settings = await service.change_reminder_settings(session, actor=actor, cell_id=org_id, changes=changes, now=clock.now())
    await audit_trail("api.reminder_settings.update", org_id=cell.id, target=f"org:{cell.id}", detail={"fields": sorted(changes)})
    return ReminderSettingsOut.of(cell.id, settings)

"""Reminder settings of a cell, or a committee's defaults for the cells below: each value shows
where it comes from; a box puts it back to «theo cấp trên». Only what the person changed is set at
this level. `core.scheduling.service` checks who asks, checks every value and re-plans reminders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.desk import back, leading, record
from api.console.deps import ConsoleUser, CsrfChecked
from api.console.pages import render
from api.deps import ClockDep, SessionDep
from core import texts
from core.errors import InvalidInput
from core.orgs import management
from core.scheduling import service
from core.scheduling.settings import KEYS, as_raw

router = APIRouter(prefix="/reminders", include_in_schema=False)
D = texts.console_desk
OrgId = Annotated[int, Path(ge=1, le=management.MAX_ID)]


def _source(view: service.SettingsView, key: str) -> str:
    if view.is_own(key):
        return D.REMINDER_FROM_HERE
    org_id = view.source.get(key)
    return D.REMINDER_FROM.format(org=view.names.get(org_id, "")) if org_id is not None else D.REMINDER_DEFAULT


@router.get("", name="console_reminders")
async def reminders_page(request: Request, user: ConsoleUser, session: SessionDep,
                         org: Annotated[int | None, Query(ge=1, le=management.MAX_ID)] = None,
                         ok: Annotated[str | None, Query(max_length=10)] = None) -> HTMLResponse:
    orgs = leading(user)
    view = await service.reminder_settings(session, actor=user.actor, org_id=org if org is not None else orgs[0].id)
    values = as_raw(view.settings)
    values["study_days_before"] = ", ".join(str(d) for d in values["study_days_before"])
    rows = [{"key": key, "label": D.REMINDER_FIELDS[key], "value": values[key], "own": view.is_own(key), "source": _source(view, key)}
            for key in KEYS]
    return render(request, "reminders.html", user, nav="reminders", orgs=orgs, current=view.org, rows=rows, ok=ok == "saved")


def _parse(key: str, raw: str | None) -> Any:
    """A form field as the value core checks (core refuses what is out of bounds, naming it)."""
    value = (raw or "").strip()
    if key == "enabled":
        return raw is not None
    if key == "eve_time":
        return value or None
    if key in ("before_minutes", "nudge_hours"):
        if not value.isdigit():
            raise InvalidInput(D.REMINDER_BAD_NUMBER.format(field=D.REMINDER_FIELDS[key]))
        return int(value)
    if key == "study_days_before":
        parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise InvalidInput(D.REMINDER_BAD_NUMBER.format(field=D.REMINDER_FIELDS[key]))
        return [int(p) for p in parts]
    return value


@router.post("/{org_id}", name="console_reminders_save")
async def save(request: Request, org_id: OrgId, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> RedirectResponse:
    form = await request.form()
    view = await service.reminder_settings(session, actor=user.actor, org_id=org_id)
    current = as_raw(view.settings)
    inherit = [key for key in KEYS if form.get(f"inherit_{key}") is not None]
    changes: dict[str, Any] = {}
    for key in KEYS:
        if key in inherit:
            continue
        field = form.get(key)
        value = _parse(key, field if isinstance(field, str) else None)
        if value != current[key]:  # only what the person changed is set here
            changes[key] = value
    await service.change_reminder_settings(session, actor=user.actor, org_id=org_id, changes=changes, inherit=inherit, now=clock.now())
    await record(session, user, "console.reminder_settings.update", org_id=org_id, target=f"org:{org_id}", now=clock.now())
    return back(f"/console/reminders?org={org_id}&ok=saved")

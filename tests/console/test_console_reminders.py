"""Reminder settings in the console: only what changed is set at the cell, «theo cấp trên» drops
it again; a bad value, another cell's secretary and a missing CSRF token change nothing."""

from __future__ import annotations

import re

from sqlalchemy import select

from core import texts
from core.orgs.models import Org
from core.scheduling.settings import KEYS
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

D = texts.console_desk


def _form(page: str) -> dict[str, str]:
    """The form as the browser would send it unchanged (checked boxes only)."""
    values = dict(re.findall(r'<input type="(?:time|number|text)" name="(\w+)" value="([^"]*)"', page))
    if re.search(r'name="enabled" value="true" checked', page):
        values["enabled"] = "true"
    return values


async def _own(session, org_id: int) -> dict:  # type: ignore[no-untyped-def]
    org = (await session.execute(select(Org).where(Org.id == org_id).execution_options(populate_existing=True))).scalar_one()
    return {k: v for k, v in ((org.settings or {}).get("reminders") or {}).items() if k in KEYS}


async def test_only_what_changed_is_set_here_and_can_be_inherited_again(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    page = await api_client.get("/console/reminders")
    assert page.status_code == 200 and D.REMINDERS_TITLE.format(org=a.org.name) in page.text
    form = _form(page.text)
    assert set(form) >= {"eve_time", "before_minutes", "quiet_start", "study_days_before"}, form
    before = await _own(session, a.org.id)

    no_token = await api_client.post(f"/console/reminders/{a.org.id}", data={**form, "eve_time": "19:30"})
    assert no_token.status_code == 403 and await _own(session, a.org.id) == before
    bad = await api_client.post(f"/console/reminders/{a.org.id}", data={"csrf": csrf, **form, "before_minutes": "5"})
    assert bad.status_code == 422 and texts.reminders.SETTING_INVALID["before_minutes"] in bad.text
    assert await _own(session, a.org.id) == before

    saved = await api_client.post(f"/console/reminders/{a.org.id}", data={"csrf": csrf, **form, "eve_time": "19:30"})
    assert saved.status_code == 303
    assert await _own(session, a.org.id) == {**before, "eve_time": "19:30"}
    shown = await api_client.get(saved.headers["location"])
    assert D.REMINDERS_SAVED in shown.text and 'value="19:30"' in shown.text and D.REMINDER_FROM_HERE in shown.text

    back = await api_client.post(f"/console/reminders/{a.org.id}", data={"csrf": csrf, **_form(shown.text), "inherit_eve_time": "true"})
    assert back.status_code == 303 and "eve_time" not in await _own(session, a.org.id)


async def test_another_cells_secretary_cannot_change_them(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_B)
    assert (await api_client.get(f"/console/reminders?org={a.org.id}")).status_code in (403, 404)
    refused = await api_client.post(f"/console/reminders/{a.org.id}", data={"csrf": csrf_of(home), "eve_time": "05:00"})
    assert refused.status_code in (403, 404) and "eve_time" not in await _own(session, a.org.id)

"""What the desk pages (figures, reports, góp ý) share: their words in templates (`D`), local times,
the month a page is about, the organisations a person may pick, an audit line per write, and the
redirect after a form (post, redirect, get: a reload never sends a form twice)."""

from __future__ import annotations

import datetime as dt

from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.console.deps import SignedIn
from api.console.pages import templates
from core import audit, texts
from core.clock import local_tz
from core.orgs.models import Org
from core.reporting import figures, reports

D = texts.console_desk
templates.env.globals["D"] = D


def local_time(moment: dt.datetime | None) -> str:
    return "—" if moment is None else f"{moment.astimezone(local_tz()):%d/%m/%Y %H:%M}"


def month_label(month: dt.date) -> str:
    return D.MONTH.format(month=month.month, year=month.year)


templates.env.filters["local_time"] = local_time
templates.env.filters["month_label"] = month_label
templates.env.globals["pct"] = reports.percent
templates.env.globals["score"] = reports.score


def chosen_month(value: str | None, now: dt.datetime) -> dt.date:
    """The month asked for (YYYY-MM, as an <input type=month> sends it), else the current local month."""
    if not value:
        return figures.local_month(now)
    return figures.parse_month(value)  # a bad one: InvalidInput, shown as the error page


def leading(user: SignedIn) -> list[Org]:
    """The organisations this person leads, higher ones first (a committee before its cells)."""
    return sorted(user.actor.managed_orgs, key=lambda o: (o.depth, o.name))


async def record(session: AsyncSession, user: SignedIn, action: str, *, org_id: int | None, target: str, now: dt.datetime) -> None:
    await audit.record(session, action, actor_member_id=user.member.id, actor_platform_user=f"console:session:{user.record.id}",
                       org_id=org_id, target=target, at=now)


def back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)

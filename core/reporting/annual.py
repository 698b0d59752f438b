"""The annual report (báo cáo năm) of an organisation over its subtree: the year's figures (meetings,
attendance, study, feedback summed over the year's months; members as of the last month) and the
year's quality review of members (core.votes.review: ratings per cell, rolled up per direct
sub-organisation and in total, with those not yet decided and those whose reconsideration is
pending shown apart). Read in the bot (📈 Số liệu tổng hợp → 📘 Báo cáo năm), the API
(`GET /api/v1/orgs/{id}/annual-report`) and the web console, and downloaded as CSV or XLSX.

Who may read it: whoever manages the organisation (its cell leaders, or a committee above), the
rule of the monthly figures (`figures.viewable`). Every number comes from the same two functions
as everywhere else: `figures.rollup` and `review.subtree_figures`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.meetings import render
from core.clock import local_date
from core.errors import InvalidInput
from core.orgs.models import Org
from core.orgs.service import Actor
from core.reporting import figures as monthly
from core.reporting.figures import Figures, OrgRef, Rollup
from core.votes import review

FIRST_YEAR = 2000
STOCKS = ("members", "exempt", "linked")  # counted on a day, not summed over months


@dataclass(frozen=True)
class AnnualReport:
    org: Org
    year: int
    rollup: Rollup  # the year's months, January to December (to this month for the current year)
    ratings: review.Figures

    @property
    def totals(self) -> Figures:
        return year_total(self.rollup.totals)

    @property
    def children(self) -> list[tuple[OrgRef, Figures, review.RatingCounts | None]]:
        rated = {line.org_id: line for line in self.ratings.children}
        return [(ref, year_total(rows), rated.get(ref.id)) for ref, rows in self.rollup.children]

    @property
    def own(self) -> Figures:
        return year_total(self.rollup.own)


def default_year(now: dt.datetime) -> int:
    """In January the report people look for is last year's; after, this year's."""
    today = local_date(now)
    return today.year - 1 if today.month == 1 else today.year


def year_months(year: int, now: dt.datetime) -> list[dt.date]:
    current = monthly.local_month(now)
    if not FIRST_YEAR <= year <= current.year:
        raise InvalidInput(texts.reports.ANNUAL_YEAR_INVALID)
    last = 12 if year < current.year else current.month
    return [dt.date(year, month, 1) for month in range(1, last + 1)]


def year_total(rows: list[Figures]) -> Figures:
    """Flows (meetings, study, feedback) summed over the months; members, exempt, linked as of the last month."""
    total = Figures()
    for row in rows:
        total.add(row)
    if rows:
        for name in STOCKS:
            setattr(total, name, getattr(rows[-1], name))
    return total


async def annual_report(
    session: AsyncSession, *, actor: Actor, org_id: int, year: int, now: dt.datetime, cells: bool = False
) -> AnnualReport:
    """`cells`: every cell's rows too (the XLSX file's sheet of cells)."""
    org = await monthly.viewable(session, actor=actor, org_id=org_id)
    months = year_months(year, now)
    rollup = await monthly.rollup(session, org=org, months=months, now=now, cells=cells)
    ratings = await review.subtree_figures(session, org=org, year=year)
    return AnnualReport(org=org, year=year, rollup=rollup, ratings=ratings)


# ---------------------------------------------------------------- words (the bot)

MAX_CHILD_LINES = 15


def _rating_values(line: review.RatingCounts) -> dict[str, int]:
    return {**line.by_rating, "total": line.total, "pending": line.pending, "reconsidering": line.reconsidering}


def ratings_lines(ratings: review.Figures) -> list[str]:
    r = texts.reports
    lines = [r.ANNUAL_RATINGS_TITLE.format(year=ratings.year)]
    if not ratings.totals.total:
        return [*lines, r.ANNUAL_RATINGS_NONE.format(year=ratings.year)]
    lines.append(r.ANNUAL_RATINGS_TOTAL.format(**_rating_values(ratings.totals)))
    shown = [line for line in ratings.children if line.total] or ratings.cells
    if len(shown) > 1 or (shown and shown[0].org_id != ratings.org.id):
        lines += [r.ANNUAL_RATINGS_LINE.format(name=render.escape(line.name), **_rating_values(line)) for line in shown[:MAX_CHILD_LINES]]
        if len(shown) > MAX_CHILD_LINES:
            lines.append(r.CHILDREN_MORE.format(count=len(shown) - MAX_CHILD_LINES))
    return lines


def annual_text(report: AnnualReport) -> str:
    from core.reporting.reports import figures_lines

    r = texts.reports
    last = report.rollup.months[-1]
    lines = [r.ANNUAL_TITLE.format(year=report.year, org=render.escape(report.org.name),
                                   period=r.ANNUAL_PERIOD.format(last=last.month, year=report.year)), "",
             *figures_lines(report.totals), *ratings_lines(report.ratings)]
    return "\n".join(lines)

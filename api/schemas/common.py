"""Shapes shared by every resource: ids, months, pagination.

Every id the API takes — in the path, the query, a form or a JSON body — is one of these types, so
a number outside a positive 64-bit integer is refused with 422 before any database sees it. Every
month is `Month`/`month_path`/`month_query`: the pattern admits only the months core accepts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Form, Path, Query
from pydantic import BaseModel, Field

from core.orgs.management import MAX_ID, MAX_PAGE_SIZE
from core.reporting.figures import MONTH_RE

T = TypeVar("T")

# Ids are positive 64-bit integers: a larger number is refused as invalid, never sent to the database.
# In JSON bodies they are strict: `true` or "12" is not an id.
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID, examples=[12])]
# Any other whole number or yes/no in a JSON body: strict too (pydantic would read `true` as 1 and 1 as true).
StrictInt = Annotated[int, Field(strict=True)]
StrictBool = Annotated[bool, Field(strict=True)]




def id_path(description: str, example: int = 12) -> object:
    return Path(ge=1, le=MAX_ID, description=description, examples=[example])


def id_query(description: str) -> object:
    return Query(ge=1, le=MAX_ID, description=description)


def id_form(description: str) -> object:
    return Form(ge=1, le=MAX_ID, description=description)


# A calendar day the API takes (periods, dates of issue, deadlines): years 1900–2199, so a day
# turned into UTC instants (or the day after) never overflows `datetime`.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]

# A local month "YYYY-MM" between core's first and last month (years 1970–2199): figures are
# computed over real UTC instants, and year 1 or 9999 would overflow them.
MONTH_PATTERN = MONTH_RE
Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="Local month, YYYY-MM", examples=["2026-10"])]


def month_path(description: str = "Local month, YYYY-MM") -> object:
    return Path(pattern=MONTH_PATTERN, description=description, examples=["2026-10"])


def month_query(description: str = "Local month YYYY-MM (default: this month)") -> object:
    return Query(pattern=MONTH_PATTERN, description=description, examples=["2026-10"])


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, at most {MAX_PAGE_SIZE}")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip (use `next_offset`)")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Items matching the filters, on every page", examples=[146])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])
    next_offset: int | None = Field(description="Offset of the next page; null on the last page", examples=[50])

    @classmethod
    def of(cls, items: list[T], *, total: int, page: PageParams) -> Page[T]:
        following = page.offset + len(items)
        return cls(items=items, total=total, limit=page.limit, offset=page.offset, next_offset=following if following < total else None)

"""Shapes shared by every resource: ids, pagination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Path, Query
from pydantic import BaseModel, Field

from core.orgs.management import MAX_ID, MAX_PAGE_SIZE

T = TypeVar("T")

# Ids are positive 64-bit integers: a larger number is refused as invalid, never sent to the database.
Id = Annotated[int, Field(ge=1, le=MAX_ID, examples=[12])]


def id_path(description: str) -> object:
    return Path(ge=1, le=MAX_ID, description=description, examples=[12])


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

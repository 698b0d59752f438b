"""Issue 21, "each rule once": each rule that was written several times now has one function in
core/; these tests pin each rule where it lives (its callers' own tests cover the callers)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import texts
from core.db import insert_for
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.folding import strip_accents
from core.orgs.service import load_actor, managed_org
from core.reporting.reports import default_month
from core.resolutions.service import check_issued_on, parse_day
from core.scheduling.models import Watermark
from core.spreadsheets import safe_cell
from core.votes import service as votes_service

UTC = dt.timezone.utc


# ---------------------------------------------------------------- load an organisation the actor manages


async def test_managed_org_is_found_refused_or_hidden_as_the_actor_may_know(session, commune) -> None:
    secretary = await load_actor(session, commune.cells[0].secretary)
    own, sibling = commune.cells[0].org, commune.cells[1].org
    assert (await managed_org(session, secretary, own.id)).id == own.id
    with pytest.raises(NotFound):  # another cell: not even confirmed to exist
        await managed_org(session, secretary, sibling.id)
    with pytest.raises(NotFound):
        await managed_org(session, secretary, 10**9)
    with pytest.raises(PermissionDenied) as refused:  # the commune above: known, not managed
        await managed_org(session, secretary, commune.commune.id, refusal=texts.resolutions.BAD_TARGET)
    assert refused.value.message == texts.resolutions.BAD_TARGET
    member = await load_actor(session, commune.cells[0].members[0])
    with pytest.raises(PermissionDenied) as refused:  # their own cell, which they do not lead
        await managed_org(session, member, own.id)
    assert refused.value.message == texts.common.FORBIDDEN
    committee = await load_actor(session, commune.committee_member)
    assert (await managed_org(session, committee, sibling.id)).id == sibling.id  # a committee manages the cells below


# ---------------------------------------------------------------- a document's date of issue


def test_an_issue_date_may_be_today_but_not_tomorrow() -> None:
    today = dt.date(2026, 12, 7)
    assert check_issued_on(today, today=today) == today
    assert check_issued_on(None, today=today) is None
    with pytest.raises(InvalidInput) as refused:
        check_issued_on(today + dt.timedelta(days=1), today=today)
    assert refused.value.message == texts.resolutions.DATE_IN_FUTURE
    with pytest.raises(InvalidInput):  # typed in the bot: the same rule
        parse_day("8/12/2026", today=today)
    assert parse_day("8/12/2026", today=today, allow_future=True) == dt.date(2026, 12, 8)  # a deadline may be ahead


# ---------------------------------------------------------------- which month a report opens on


@pytest.mark.parametrize(
    ("now", "month"),
    [
        (dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC), dt.date(2026, 11, 1)),
        (dt.datetime(2026, 12, 10, 12, 0, tzinfo=UTC), dt.date(2026, 11, 1)),
        (dt.datetime(2026, 12, 11, 12, 0, tzinfo=UTC), dt.date(2026, 12, 1)),
        (dt.datetime(2027, 1, 3, 12, 0, tzinfo=UTC), dt.date(2026, 12, 1)),  # across the year
    ],
)
def test_a_report_opens_on_last_month_in_the_first_ten_days(now: dt.datetime, month: dt.date) -> None:
    assert default_month(now) == month


# ---------------------------------------------------------------- INSERT … ON CONFLICT on either database


async def test_insert_for_gives_the_databases_own_insert_with_on_conflict(session) -> None:
    at = dt.datetime(2026, 12, 7, tzinfo=dt.timezone.utc)
    for _ in range(2):
        await session.execute(insert_for(session, Watermark).on_conflict_do_nothing(index_elements=["name"]).values(name="rules-once", value=at))
    assert await session.scalar(select(func.count()).select_from(Watermark).where(Watermark.name == "rules-once")) == 1
    later = at + dt.timedelta(days=1)
    statement = insert_for(session, Watermark.__table__)  # a Table works as well as a mapped class
    await session.execute(statement.values(name="rules-once", value=later).on_conflict_do_update(index_elements=["name"], set_={"value": later}))
    assert await session.scalar(select(Watermark.value).where(Watermark.name == "rules-once")) == later


# ---------------------------------------------------------------- accents and spreadsheet cells


def test_accents_fold_the_same_way_everywhere() -> None:
    assert strip_accents("Đảng viên Nguyễn Văn Ân") == "Dang vien Nguyen Van An"
    assert strip_accents("vắng, ĐỒNG Ý") == "vang, DONG Y"  # case is the caller's choice
    assert strip_accents("Số ²") == "So ²"
    assert strip_accents("Số ²", compatibility=True) == "So 2"  # search and file names fold compatibility forms too


@pytest.mark.parametrize("typed", ["=SUM(A1:A9)", "+1", "-1", "@cmd", "\tx", "\rx"])
def test_a_formula_typed_by_a_person_is_written_as_text(typed: str) -> None:
    assert safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("value", ["Nguyễn Văn An", "", 12, None, 0.5])
def test_anything_else_is_written_as_it_is(value: object) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (None, list(texts.votes.DEFAULT_OPTIONS)),
        ([], list(texts.votes.DEFAULT_OPTIONS)),
        (["  Đồng ý   phương án A ", "", "Không đồng ý"], ["Đồng ý phương án A", "Không đồng ý"]),
        (["x" * 80, "Khác"], ["x" * 60, "Khác"]),
    ],
)
def test_a_votes_options_are_tidied_in_one_place(typed: list[str] | None, expected: list[str]) -> None:
    assert votes_service.clean_options(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (["Chỉ một"], texts.votes.TOO_FEW_OPTIONS),
        (["Đồng ý", " ", ""], texts.votes.TOO_FEW_OPTIONS),
        ([str(i) for i in range(7)], texts.votes.TOO_MANY_OPTIONS.format(limit=6)),
        (["Tán thành", "TÁN THÀNH"], texts.votes.OPTIONS_DUPLICATE.format(option="TÁN THÀNH")),
        (["Đồng ý", "Không", "dong  y"], texts.votes.OPTIONS_DUPLICATE.format(option="dong y")),
    ],
)
def test_a_votes_options_are_refused_in_one_place(typed: list[str], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        votes_service.clean_options(typed)
    assert str(refused.value) == message

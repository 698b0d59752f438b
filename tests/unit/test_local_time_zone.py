"""Issue 17, item 3: the local time zone comes from one place, SOTAY_TIMEZONE, and core shows,
parses and buckets dates in it (not only the reminders)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from core.clock import local_tz, set_local_tz
from core.feedback import render as feedback_render
from core.meetings import dates
from core.reporting import figures
from core.resolutions import study
from sotay.runtime import build_runtime
from sotay.settings import Settings

BOGOTA = ZoneInfo("America/Bogota")  # UTC−5, twelve hours from Hà Nội: any leak of UTC+7 shows


@pytest.fixture
def restore_zone() -> Iterator[None]:
    previous = local_tz()
    yield
    set_local_tz(previous)


def test_default_is_vietnam() -> None:
    assert local_tz() == ZoneInfo("Asia/Ho_Chi_Minh") and Settings(_env_file=None, secret_key="k" * 40).tz == local_tz()


async def test_the_setting_reaches_every_date_shown_and_parsed(restore_zone, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SOTAY_TIMEZONE", "America/Bogota")
    monkeypatch.setenv("SOTAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SOTAY_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SOTAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tz.db'}")
    settings = Settings(_env_file=None)
    runtime = build_runtime(settings, with_bot=False)
    try:
        assert local_tz() == BOGOTA
        # 00:30 UTC on 5 December is 19:30 on 4 December in Bogotá (07:30 on the 5th in Hà Nội).
        moment = dt.datetime(2026, 12, 5, 0, 30, tzinfo=dt.timezone.utc)
        assert dates.format_when(moment) == "Thứ Sáu, 04/12/2026 — 19:30"
        assert dates.to_utc(dt.date(2026, 12, 4), dt.time(19, 30)) == moment  # a time typed is read in the zone
        # What the bot does with a typed "4/12/2026 19h30": the local day and time, then to UTC.
        parsed = dates.parse_when("4/12/2026 19h30", today=dates.local(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone.utc)).date())
        assert dates.to_utc(parsed.date, parsed.time) == moment
        assert feedback_render.local_datetime(moment) == "19:30 04/12/2026"
        assert study.local_day(moment) == dt.date(2026, 12, 4)
        # Months of the figures start at local midnight.
        assert figures.local_month(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.timezone.utc)) == dt.date(2026, 11, 1)
        assert figures.bounds([dt.date(2026, 12, 1)])[0] == dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.timezone.utc)
        assert dates.LOCAL_TZ == BOGOTA  # the old name reads the same source
    finally:
        await runtime.close()

"""The console's tests: the bot's «🖥 Mở trang quản lý» builds links on the address the API client uses."""

import pytest

CONSOLE_BASE = "http://sotay.test"


@pytest.fixture
def console_harness(harness):  # type: ignore[no-untyped-def]
    harness.dispatcher["console_base"] = CONSOLE_BASE
    return harness

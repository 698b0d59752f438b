"""Shared by the console's tests: ask the real bot for a sign-in link, read a form token, make Mini App data."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from urllib.parse import urlencode

from core import texts
from tests.botkit import BotHarness, texts_of

LINK = re.compile(r"(https?://[^\s\"<>]+/console/login/[A-Za-z0-9_\-]+)")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def link_from_bot(harness: BotHarness, user_id: int) -> str:
    """Press «🖥 Mở trang quản lý» as the person with this Telegram id; the link the bot answers."""
    calls = await harness.text(user_id, texts.console.BTN_OPEN_CONSOLE)
    for text in texts_of(calls):
        found = LINK.search(text)
        if found:
            return found.group(1)
    raise AssertionError(f"no sign-in link in {texts_of(calls)}")


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, page[:2000]
    return found.group(1)


def init_data(bot_token: str, user_id: int, *, auth_date: int | None = None, key: str = "WebAppData") -> str:
    """Mini App data signed the way Telegram signs it (with `key` other than "WebAppData": a forgery)."""
    fields = {"auth_date": str(auth_date or int(time.time())), "query_id": "AAH-test",
              "user": json.dumps({"id": user_id, "first_name": "Páo", "language_code": "vi"}, separators=(",", ":"))}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(key.encode(), bot_token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)

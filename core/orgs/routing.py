"""Which of a member's accounts receives a message: exactly one, so a member linked on Telegram
and on Zalo gets each message once.

The rule, in order:
1. an account the platform still delivers to (not marked unreachable after a 403) beats one it
   refused;
2. among those, the member's chosen channel (`Member.preferred_channel`), or, when they chose
   none or chose a platform they are not linked on, the account linked most recently.

A member reachable nowhere keeps the account they would have chosen: their message is queued
there as before, and delivery records the refusal again (a blocked bot may be unblocked).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkView:
    platform: str
    chat_id: str
    linked_at: dt.datetime | None = None
    unreachable: bool = False


def default_channel(links: Sequence[LinkView], preferred: str | None) -> str | None:
    """The channel the member chose, if linked there; else the one they linked most recently."""
    if not links:
        return None
    if preferred and any(link.platform == preferred for link in links):
        return preferred
    latest = max(links, key=lambda link: (link.linked_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc), link.platform))
    return latest.platform


def choose_link(links: Sequence[LinkView], preferred: str | None) -> LinkView | None:
    """The one account to send to (see the module's rule), or None when the member has none."""
    chosen = default_channel(links, preferred)
    if chosen is None:
        return None
    return min(links, key=lambda link: (link.unreachable, link.platform != chosen, link.platform))

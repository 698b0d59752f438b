"""Changes to what the monthly figures count, noted in the transaction that makes them.

The stored per-organisation figures (core.reporting.figures) are recomputed for the organisations
a transaction changed, before it commits. Changes made through ORM objects (a new invitation, an
answer, a membership span, a link, feedback…) are noted by core.reporting.figures itself, on
flush. A writer that changes counted rows with a bulk statement (`insert(...).from_select`,
`update(...)`) says so here, with the organisations (or the members, meetings or campaigns whose
organisations are meant) and the figures' source that counts them. No model imports: any domain
may call this without depending on the reporting domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["members", "meetings", "study", "feedback"]
SOURCES: tuple[Source, ...] = ("members", "meetings", "study", "feedback")
_KEY = "sotay.counted"


@dataclass
class Changes:
    """What changed in one transaction, by the figures' source that counts it."""

    orgs: dict[Source, set[int]] = field(default_factory=lambda: {source: set() for source in SOURCES})
    members: set[int] = field(default_factory=set)  # their membership spans' organisations (source "members")
    meetings: set[int] = field(default_factory=set)  # their cells (source "meetings")
    campaigns: set[int] = field(default_factory=set)  # their assignments' cells (source "study")

    def __bool__(self) -> bool:
        return bool(self.members or self.meetings or self.campaigns or any(self.orgs.values()))


def pending(info: dict[Any, Any]) -> Changes:
    """The changes noted so far in this session's transaction (`session.info`, sync or async)."""
    changes = info.get(_KEY)
    if changes is None:
        changes = info[_KEY] = Changes()
    return changes  # type: ignore[no-any-return]


def changed(
    session: Any, *, source: Source, org_ids: Iterable[int | None] = (), member_ids: Iterable[int | None] = (),
    meeting_ids: Iterable[int | None] = (), campaign_ids: Iterable[int | None] = (),
) -> None:
    """Note that rows counted by `source` changed for these organisations (or those of these
    members, meetings or study campaigns). Cheap: the figures are recomputed once, at commit."""
    changes = pending(session.info)
    changes.orgs[source].update(int(i) for i in org_ids if i is not None)
    changes.members.update(int(i) for i in member_ids if i is not None)
    changes.meetings.update(int(i) for i in meeting_ids if i is not None)
    changes.campaigns.update(int(i) for i in campaign_ids if i is not None)


def take(info: dict[Any, Any]) -> Changes:
    """The changes noted so far, forgotten here (they are being settled)."""
    return info.pop(_KEY, None) or Changes()


def forget(info: dict[Any, Any]) -> None:
    """The transaction ended (rolled back, or committed after settling): nothing is pending."""
    info.pop(_KEY, None)


def is_pending(info: dict[Any, Any]) -> bool:
    return bool(info.get(_KEY))

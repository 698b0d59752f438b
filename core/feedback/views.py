"""What the feedback service hands to its readers (core.feedback.render, the bot, the API): plain views.

Apart from core.feedback.service so that render, which the service uses, can name them without an
import cycle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.feedback.models import FeedbackItem
from core.orgs.models import Org


@dataclass(frozen=True)
class ReplyView:
    id: int
    author_name: str
    org_name: str
    text: str | None
    voice_file_id: str | None
    voice_duration: int | None
    created_at: dt.datetime


@dataclass(frozen=True)
class ForwardView:
    from_org_name: str
    to_org_name: str
    by_name: str
    at: dt.datetime
    note: str | None


@dataclass(frozen=True)
class ItemView:
    item: FeedbackItem
    author_name: str
    author_cell_name: str
    addressed_org: Org
    current_org: Org
    replies: list[ReplyView]
    forwards: list[ForwardView]
    is_author: bool
    can_act: bool  # reply and close
    forward_to: Org | None  # set when this actor may forward it, to this organisation


@dataclass(frozen=True)
class ItemSummary:
    item: FeedbackItem
    author_name: str
    addressed_org_name: str
    current_org_name: str
    reply_count: int

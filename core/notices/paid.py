"""Paid broadcasts of urgent notices: Telegram's `allow_paid_broadcast`.

Telegram lets a bot send up to 1,000 messages a second instead of about 30 for a fee in Stars per
message, paid from the bot's balance. Sổ tay uses it only when the operator set a price
(SOTAY_PAID_BROADCAST, Stars per message; off by default), only for a notice its author marks
urgent, and only for a committee member sending to a committee's whole subtree — never a cell's
ordinary notice, never reminders, replies or any other traffic. The cost (the recipients who get it
on Telegram × the price) is shown before the author confirms, and the notice is sent only with the
cost the author saw: if it changed meanwhile (someone linked an account), they are asked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.delivery.outbox import recipients_for
from core.orgs.models import Org, OrgKind
from core.orgs.service import Actor

PAID_PLATFORM = "telegram"  # the only messenger with paid broadcasts


@dataclass(frozen=True)
class PaidQuote:
    messages: int  # recipients who get the notice on Telegram: the messages paid for
    price: Decimal  # Stars per message

    @property
    def stars(self) -> Decimal:
        return (self.price * self.messages).normalize() if self.messages else Decimal(0)


def may_send_paid(actor: Actor, org: Org) -> bool:
    """Only a committee member, to a committee they manage (its whole subtree)."""
    return org.kind == OrgKind.COMMITTEE and actor.is_committee_member and actor.manages(org)


async def quote(session: AsyncSession, *, actor: Actor, org: Org, member_ids: list[int], price: Decimal | None) -> PaidQuote | None:
    """What an urgent notice to these members would cost, or None when it cannot go paid
    (paid broadcasts off, or not this person and organisation)."""
    if not price or not may_send_paid(actor, org):
        return None
    recipients, _ = await recipients_for(session, member_ids)
    return PaidQuote(messages=sum(1 for r in recipients if r.platform == PAID_PLATFORM), price=price)


def format_stars(stars: Decimal) -> str:
    """Vietnamese number style: 1.234,5 (no trailing zeros)."""
    value = stars.normalize()
    whole, _, fraction = f"{value:f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{grouped},{fraction}" if fraction else grouped

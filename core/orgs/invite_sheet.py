"""A printable sheet of invite cards for a cell meeting: one card per member not yet linked, with
the Telegram link as a QR code and the code to type on Zalo. Plain HTML (A4, print from any
browser, or save as PDF); the QR codes are inline SVG made here (segno), nothing fetched."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.clock import local_tz
from core.orgs.linking import create_invite, invite_link
from core.orgs.models import Member, Org
from core.orgs.service import unlinked_members


@dataclass(frozen=True)
class InviteCard:
    name: str
    code: str
    telegram_link: str | None  # None when the bot's username is not configured: the Zalo code alone
    expires_on: dt.date


async def make_cards(
    session: AsyncSession, *, cell: Org, now: dt.datetime, ttl: dt.timedelta, bot_username: str | None, created_by: Member | None = None
) -> list[InviteCard]:
    """A fresh one-time invite for every active member of `cell` not linked yet (who checks that the
    caller may do this is the caller's business: the CLI is the operator, the console asks Actor)."""
    cards = []
    for member in await unlinked_members(session, cell_id=cell.id):
        invite = await create_invite(session, member=member, now=now, ttl=ttl, created_by=created_by)
        cards.append(InviteCard(name=member.full_name, code=invite.code,
                                telegram_link=invite_link(bot_username, invite.code) if bot_username else None,
                                expires_on=invite.expires_at.astimezone(local_tz()).date()))
    return cards


def qr_svg(data: str) -> str:
    import segno

    return segno.make(data, error="m").svg_inline(scale=3, border=2, omitsize=True)


def render_sheet(*, cell_name: str, cards: Sequence[InviteCard]) -> str:
    A = texts.account
    expires = min((card.expires_on for card in cards), default=None)
    if cards:
        body = "".join(_card(card) for card in cards)
        intro = A.SHEET_INTRO.format(date=f"{expires:%d/%m/%Y}")
    else:
        body, intro = "", A.SHEET_EMPTY
    title = A.SHEET_TITLE.format(cell=cell_name)
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p></header>"
        f"<section class='cards'>{body}</section></body></html>"
    )


def _card(card: InviteCard) -> str:
    A = texts.account
    return (
        "<article class='card'>"
        f"<p class='heading'>{html.escape(A.CARD_HEADING)}</p>"
        f"<h2>{html.escape(card.name)}</h2>"
        + (f"<div class='row'><div class='qr'>{qr_svg(card.telegram_link)}</div>"
           f"<div><p>{html.escape(A.CARD_TELEGRAM)}</p><p class='link'>{html.escape(card.telegram_link)}</p></div></div>"
           if card.telegram_link else "")
        + f"<p>{html.escape(A.CARD_ZALO)}:</p>"
        f"<p class='code' aria-label='{html.escape(A.CARD_CODE_LABEL)}'>{html.escape(card.code)}</p>"
        f"<p class='small'>{html.escape(A.CARD_EXPIRES.format(date=f'{card.expires_on:%d/%m/%Y}'))}</p>"
        "</article>"
    )


_STYLE = """
@page{size:A4;margin:10mm}
*{box-sizing:border-box}
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;color:#000;margin:0;font-size:11pt}
header h1{font-size:15pt;margin:0 0 2mm}header p{margin:0 0 4mm}
.cards{display:grid;grid-template-columns:1fr 1fr;gap:5mm}
.card{border:1px dashed #555;padding:4mm;break-inside:avoid;page-break-inside:avoid;min-height:85mm}
.heading{color:#b71c1c;font-weight:bold;margin:0}
h2{font-size:14pt;margin:1mm 0 3mm}
.row{display:flex;gap:3mm;align-items:center}
.qr svg{display:block;width:32mm;height:32mm}
.link{font-family:monospace;font-size:8.5pt;word-break:break-all}
.code{font-family:"DejaVu Sans Mono",monospace;font-size:22pt;font-weight:bold;letter-spacing:2pt;margin:1mm 0 2mm;text-align:center}
.small{font-size:9pt;color:#333;margin:0}
"""

"""The printable invite sheet now lives in core (core.orgs.invite_sheet), shared by the CLI and the web console."""

from core.orgs.invite_sheet import InviteCard, make_cards, qr_svg, render_sheet

__all__ = ["InviteCard", "make_cards", "qr_svg", "render_sheet"]

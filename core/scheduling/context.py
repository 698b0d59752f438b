"""TickContext, as callers have always imported it from here (it lives in core.tick_context)."""

from core.tick_context import TickContext

__all__ = ["TickContext"]

"""The sandbox's Zalo side: a local Zalo Bot Platform (see sandbox/README.md, "Zalo side")."""

from sandbox.zalo.routes import ZaloSide
from sandbox.zalo.state import ZaloLimits, ZaloWorld

__all__ = ["ZaloLimits", "ZaloSide", "ZaloWorld"]

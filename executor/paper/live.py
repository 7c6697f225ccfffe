"""A live broker adapter: a documented stub that refuses.

rbi paper-trades; it never sends an order to a real venue. This class marks the seam
where a live adapter would go (it would take the same decisions the paper broker books)
and says what enabling it would take: see docs/LIVE.md.
"""

from __future__ import annotations

from typing import Any

from executor.errors import SandboxError

__all__ = ["LiveTradingRefused", "LiveBroker"]


class LiveTradingRefused(SandboxError):
    """Live trading is not enabled in this build."""


class LiveBroker:
    """Would route a session's decisions to a real broker. Refuses, always."""

    def __init__(self, *_: Any, **__: Any) -> None:
        raise LiveTradingRefused(
            "live trading is not enabled: rbi paper-trades only. docs/LIVE.md lists what a live "
            "adapter needs (credentials handling, order reconciliation, a kill switch outside "
            "the process, venue limits, human sign-off) before it can exist")

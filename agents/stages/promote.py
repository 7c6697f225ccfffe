"""promote (minimal): mark the approved version and its strategy approved, the idea done.

The full promotion (robustness checks, export to ``results/strategies/<name>/``, git
commit) is issue 6; this stage is where it plugs in.
"""

from __future__ import annotations

from typing import Any

from agents.stages.common import active_version, close_strategy

__all__ = ["handle"]


def handle(ctx: Any, payload: dict[str, Any]) -> None:
    v = active_version(ctx, payload)
    if v is None:
        return
    with ctx.write() as s:
        s.set_version_status(v["id"], "approved")
        close_strategy(s, v["strategy_id"], "approved",
                       f"v{v['version']} (version id {v['id']}) approved by review")

"""promote (minimal): mark the approved version and its strategy approved, the idea done.

The full promotion (robustness checks, export to ``results/strategies/<name>/``, git
commit) is issue 6; this stage is where it plugs in.
"""

from __future__ import annotations

from typing import Any

from agents.stages.common import close_strategy, load_version, strategy_active

__all__ = ["handle"]


def handle(ctx: Any, payload: dict[str, Any]) -> None:
    v = load_version(ctx, payload)
    if not strategy_active(ctx.store, v["strategy_id"]):
        return
    with ctx.write() as s:
        s.set_version_status(v["id"], "approved")
        close_strategy(s, v["strategy_id"], "approved",
                       f"v{v['version']} (version id {v['id']}) approved by review")

"""paper: a promoted strategy trades forward on bars its research never used.

After promotion the strategy's approved version gets a paper session on the replay
feed (bars after the research data; the sealed holdout when the dataset has none after
it), at full speed, with the configured execution model (never perfect fills). The
session's end decides: it ran out the feed inside the backtest's Monte Carlo band ->
``graduated``; it failed the parity check (its code decides differently when it cannot
see the future) or a replay's look-ahead spot check, broke the band or a loss guard ->
``killed`` with the reason. A
re-delivered event resumes the same session from its last booked bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agents.paper.runner import run_session
from agents.stages.common import OPTIONS, sandbox
from agents.store.paper import PaperBooks
from executor import model_from

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext

__all__ = ["handle"]

VERDICT = {"finished": "graduated", "killed": "killed", "diverged": "killed"}


def handle(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    sid, vid = int(payload["strategy_id"]), int(payload["version_id"])
    books = PaperBooks(ctx.store)
    row = next((r for r in books.sessions(strategy_id=sid) if r.version_id == vid), None)
    if row is None:
        version = books.tradable_version(sid, vid)
        session_id = books.create(
            strategy_id=sid, version_id=vid, feed="replay", dataset=version.dataset, speed=0.0,
            cash=OPTIONS.cash, backend=sandbox(ctx.settings).name,
            model=model_from(ctx.settings.paper_model).to_dict(), params=version.params)
    else:
        session_id = row.id
    if row is None or row.status in ("starting", "running", "stopping", "stopped"):
        with ctx.sandbox_slot():
            row = run_session(ctx.settings, session_id, should_stop=ctx.interrupt_event.is_set)
        ctx.check_cancelled()  # shut down mid-session: the event comes back and resumes it
    verdict = VERDICT.get(row.status)
    with ctx.write() as s:
        if verdict is not None:
            s.set_strategy_status(sid, verdict, f"paper P{row.id}: {row.reason}"[:1000])

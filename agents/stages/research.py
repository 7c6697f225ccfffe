"""research: idea text -> StrategySpec -> a strategy row; emits ``backtest``.

The prompt carries the knowledge base: learnings relevant to the idea (full-text rank)
and how similar earlier strategies scored (their versions' own parameters with enough
trades, research data only) and why they ended. A strategy whose holdout was read shows
only that it reached the holdout: its status, reason and last review would tell the
next idea how the sealed holdout went. An invalid spec is sent
back once with its problems listed; a second invalid spec fails the idea.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from agents.errors import BadPayload
from agents.llm import ExtractError, extract_json
from agents.spec import SpecError, StrategySpec
from agents.stages.common import ask
from agents.store.queries import MIN_TRADES, OWN_RESULTS

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext
    from agents.store import Store

__all__ = ["handle", "knowledge"]

WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")
MAX_TRIES = 2


def knowledge(store: Store, idea: str, limit: int = 5) -> str:
    """Learnings and earlier strategies that share words with the idea, as prompt text."""
    lines = [f"- learning: {r['text']}" for r in store.learnings_for(idea, limit)]
    words = sorted({w.lower() for w in WORDS.findall(idea)})[:12]
    if words:
        where = " OR ".join("lower(s.spec_json) LIKE ?" for _ in words)
        rows = store.all(
            "SELECT s.id, s.name, s.status, s.reason, "
            "(SELECT MAX(r.sharpe_ratio) " + OWN_RESULTS.format(sid="s.id") + ") AS best_sharpe, "
            "(SELECT outcome FROM reviews v WHERE v.strategy_id = s.id ORDER BY v.id DESC "
            " LIMIT 1) AS last_review, "
            "EXISTS (SELECT 1 FROM holdout_reads h WHERE h.strategy_id = s.id) AS sealed "
            f"FROM strategies s WHERE {where} ORDER BY s.id DESC LIMIT ?",
            (MIN_TRADES, *[f"%{w}%" for w in words], limit))
        for r in rows:
            sharpe = "n/a" if r["best_sharpe"] is None else f"{r['best_sharpe']:.2f}"
            if r["sealed"]:  # its end was decided on the holdout: say nothing of how
                lines.append(f"- earlier spec {r['name']}: best Sharpe {sharpe}, reached the "
                             "sealed holdout (its outcome is not shown)")
                continue
            lines.append(f"- earlier spec {r['name']}: status {r['status']}, best Sharpe "
                         f"{sharpe}, last review {r['last_review'] or 'none'}"
                         + (f", reason: {r['reason']}" if r["reason"] else ""))
    return "\n".join(lines) or "(empty: no earlier strategies or learnings yet)"


def _parse(text: str) -> StrategySpec:
    try:
        data = extract_json(text)
    except ExtractError as e:
        raise SpecError([f"no JSON spec in the reply: {e}"]) from None
    spec = StrategySpec.from_dict(data)
    return spec.check()


def handle(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    idea_id = int(payload["idea_id"])
    idea = ctx.store.one("SELECT text, status FROM ideas WHERE id = ?", (idea_id,))
    if idea is None:
        raise BadPayload(f"idea {idea_id} does not exist")
    if idea["status"] in ("cancelled", "failed", "killed", "done", "promoted"):
        return
    kb = knowledge(ctx.store, idea["text"])
    spec: StrategySpec | None = None
    call_id = None
    problems: list[str] = []
    for _ in range(MAX_TRIES):
        note = "" if not problems else (
            "\n\nYOUR PREVIOUS SPEC WAS INVALID; fix these problems:\n- " + "\n- ".join(problems))
        asked = ask(ctx, "research", idea=idea["text"], knowledge=kb + note)
        call_id = asked.call_id
        try:
            spec = _parse(asked.reply.text)
            break
        except SpecError as e:
            problems = e.problems
    with ctx.write() as s:
        if spec is None:
            s.set_idea_status(idea_id, "failed", "research: no valid spec: " + "; ".join(problems))
            return
        sid, _ = s.add_strategy(idea_id, spec.name, spec.to_dict())
        ctx.emit("backtest", {"idea_id": idea_id, "strategy_id": sid, "llm_call_id": call_id},
                 key=f"backtest:s{sid}")

"""backtest: spec -> backtesting.py code (a first version); emits ``package``.

A reply cut off by the output budget is its own outcome: ask again with a bigger
budget, then once more as a continuation of the partial reply; never a debug loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents.llm import Message, extract_code
from agents.stages.common import ask, spec_of, strategy_active

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext

__all__ = ["Generated", "generate_code", "handle"]

BUDGETS = (4096, 8192, 16000)
CONTINUE = ("Your reply was cut off. Continue EXACTLY where it stopped, with no repetition "
            "and no preamble; close the ```python block at the end.")


@dataclass(frozen=True)
class Generated:
    code: str
    truncated: bool
    call_id: int | None
    attempts: int


def generate_code(ctx: HandlerContext, spec_json: str, budgets: tuple[int, ...] = BUDGETS) -> Generated:
    """Ask for the module; bigger budgets on truncation, then one continuation."""
    last = None
    n = 0
    for n, budget in enumerate(budgets, 1):
        last = ask(ctx, "backtest", max_tokens=budget, spec_json=spec_json)
        got = extract_code(last.reply.text)
        if not (last.reply.truncated or got.truncated) and not got.empty:
            return Generated(got.code, False, last.call_id, n)
    assert last is not None
    partial = last.reply.text
    more = ask(ctx, "backtest", max_tokens=budgets[-1], spec_json=spec_json,
               extra=[Message("assistant", partial), Message("user", CONTINUE)])
    joined = partial + more.reply.text
    got = extract_code(joined)
    ok = not (more.reply.truncated or got.truncated) and not got.empty
    return Generated(got.code, not ok, more.call_id, n + 1)


def handle(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    sid = int(payload["strategy_id"])
    row = ctx.store.one("SELECT * FROM strategies WHERE id = ?", (sid,))
    if row is None or not strategy_active(ctx.store, sid):
        return
    spec = spec_of(row)
    gen = generate_code(ctx, spec.to_json())
    with ctx.write() as s:
        if gen.truncated or not gen.code.strip():
            from agents.stages.common import close_strategy

            close_strategy(s, sid, "failed", f"backtest: reply truncated after {gen.attempts} "
                           "attempts (bigger budgets and a continuation)")
            return
        vid, _ = s.add_version(sid, gen.code, spec=spec.to_dict(), params=spec.defaults(),
                               agent="backtest", llm_call_id=gen.call_id,
                               note=f"generated in {gen.attempts} call(s)")
        ctx.emit("package", {"strategy_id": sid, "version_id": vid}, key=f"package:v{vid}")

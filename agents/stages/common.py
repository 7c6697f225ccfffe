"""Helpers every stage handler shares: the recorded LLM, the sandbox, specs, lineage.

Handlers do their slow work (LLM calls, sandbox runs) BEFORE ``ctx.write()``; the
helpers here never open a write transaction except :class:`_IdLog`, which records an LLM
call at once (money spent stays spent) exactly like the runtime's own call log.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agents.errors import BadPayload
from agents.llm import Budget, PriceTable, RecordedProvider, Reply, get_provider, load_prompt
from agents.llm.base import LLMCall, LLMProvider, Message
from agents.spec import StrategySpec
from executor.types import BacktestOptions, Sandbox

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext
    from agents.settings import Settings
    from agents.store import Store, StoreCallLog

__all__ = [
    "OPTIONS", "Asked", "ask", "close_strategy", "label_model", "lineage", "load_version",
    "options_for",
    "primary_stats", "sandbox", "spec_of",
]

# Backtest options every stage runs with (results are comparable across versions).
# finalize_trades: a position still open at the end is closed and counted, so a result
# never shows "# Trades 0" next to a real return
OPTIONS = BacktestOptions(cash=100_000.0, commission=0.002, finalize_trades=True)


def options_for(settings: Settings, dataset: str) -> BacktestOptions:
    """OPTIONS priced by the execution model configured for ``dataset`` (settings
    ``execution``; the default model, 0.15 % fee + 5 bps slippage, is OPTIONS' 0.2 %)."""
    from executor import model_from

    pick = getattr(settings, "execution_model", None)
    model = pick(dataset) if callable(pick) else model_from(None)
    return model.options_for(OPTIONS)  # type: ignore[no-any-return]


def label_model(results: Any, options: BacktestOptions) -> None:
    """Say in each result's stats which execution model produced its numbers (the
    strategy page lists them with the rest)."""
    from executor import model_from

    if options.execution is None:
        return
    text = model_from(options.execution).describe()
    for res in results:
        if res.stats:
            res.stats["Execution model"] = text
TERMINAL_IDEA = {"approved": "done", "failed": "failed", "killed": "killed",
                 "cancelled": "cancelled"}

_lock = threading.Lock()
_providers: dict[tuple[str, int, str], LLMProvider] = {}
ENV_KEYS = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL")
_sandboxes: dict[str, Sandbox] = {}


class _IdLog:
    """The context's call log, remembering the id of the last call it recorded."""

    def __init__(self, inner: StoreCallLog) -> None:
        self.inner = inner
        self.last_id: int | None = None

    def record(self, call: LLMCall) -> int:
        self.last_id = self.inner.record(call)
        return self.last_id

    def spent_since(self, ts: datetime) -> tuple[int, float]:
        return self.inner.spent_since(ts)


def provider(settings: Settings) -> LLMProvider:
    """One provider per (name, seed, endpoint/key environment) in this process."""
    env = "\0".join(os.environ.get(k, "") for k in ENV_KEYS)
    key = (str(settings.provider), int(settings.seed), hashlib.sha256(env.encode()).hexdigest())
    with _lock:
        if key not in _providers:
            _providers[key] = get_provider(settings.provider, seed=settings.seed)
        return _providers[key]


def sandbox(settings: Settings) -> Sandbox:
    """One backend instance per name (``auto`` probes Docker once per process)."""
    from executor import get_sandbox

    with _lock:
        if settings.backend not in _sandboxes:
            kw = {"address": settings.ray_address or None} if settings.backend == "ray" else {}
            _sandboxes[settings.backend] = get_sandbox(settings.backend, **kw)
        return _sandboxes[settings.backend]


@dataclass(frozen=True)
class Asked:
    reply: Reply
    call_id: int | None
    prompt_version: str


def budget(settings: Settings) -> Budget:
    return Budget(tokens_per_day=settings.daily_token_budget or None,
                  usd_per_day=settings.daily_cost_budget or None)


def ask(ctx: HandlerContext, prompt: str, *, purpose: str | None = None, max_tokens: int = 4096,
        extra: list[Message] | None = None, **fields: Any) -> Asked:
    """Render prompt file ``prompt`` and call the provider through RecordedProvider.

    Budget spent -> :class:`BudgetExceeded` propagates; the runtime defers the event
    until the reset. ``extra`` messages are appended (continuations)."""
    p = load_prompt(prompt)
    log = _IdLog(ctx.call_log)
    llm = RecordedProvider(provider(ctx.settings), log, budget(ctx.settings), PriceTable(),
                           prompt_version=p.version)
    ctx.check_cancelled()
    reply = llm.complete([*p.messages(**fields), *(extra or [])], max_tokens=max_tokens,
                         purpose=purpose or prompt, event_id=ctx.event.id)
    return Asked(reply, log.last_id, p.version)


def load_version(ctx: HandlerContext, payload: dict[str, Any]) -> sqlite3.Row:
    v = ctx.store.version(int(payload["version_id"]))
    if v is None:
        raise BadPayload(f"version {payload['version_id']} does not exist")
    return v


def spec_of(row: sqlite3.Row) -> StrategySpec:
    """The spec stored with a version (or strategy) row."""
    return StrategySpec.from_dict(json.loads(row["spec_json"]))


def lineage(store: Store, version_id: int) -> list[sqlite3.Row]:
    """The version and its ancestors, newest first."""
    out = []
    seen: set[int] = set()
    vid: int | None = version_id
    while vid is not None and vid not in seen:
        seen.add(vid)
        row = store.version(vid)
        if row is None:
            break
        out.append(row)
        vid = row["parent_id"]
    return out


def primary_stats(store: Store, version_id: int) -> tuple[str | None, dict[str, Any]]:
    """(dataset, stats) of the version's first ok result (its own params)."""
    row = store.one(
        "SELECT r.dataset, r.stats_json FROM backtest_results r JOIN strategy_versions v "
        "ON v.id = r.version_id WHERE r.version_id = ? AND r.status = 'ok' "
        "AND r.params_json = v.params_json ORDER BY r.id LIMIT 1", (version_id,))
    if row is None:
        return None, {}
    return row["dataset"], json.loads(row["stats_json"])


def close_strategy(store: Store, strategy_id: int, status: str, reason: str) -> None:
    """Terminal strategy status; its idea follows when no sibling is still active.
    Call inside the handler's ``ctx.write()``."""
    store.set_strategy_status(strategy_id, status, reason)
    s = store.one("SELECT idea_id FROM strategies WHERE id = ?", (strategy_id,))
    if s is None or s["idea_id"] is None:
        return
    active = store.one("SELECT COUNT(*) FROM strategies WHERE idea_id = ? AND status = 'active'",
                       (s["idea_id"],))
    if active is not None and active[0] == 0:
        store.set_idea_status(s["idea_id"], TERMINAL_IDEA.get(status, status), reason)


def strategy_active(store: Store, strategy_id: int) -> bool:
    row = store.one("SELECT status FROM strategies WHERE id = ?", (strategy_id,))
    return row is not None and row["status"] == "active"


def active_version(ctx: HandlerContext, payload: dict[str, Any]) -> sqlite3.Row | None:
    """The payload's version row, or None when its strategy is no longer active
    (killed, failed, approved or cancelled meanwhile: the event then does nothing)."""
    v = load_version(ctx, payload)
    return v if strategy_active(ctx.store, v["strategy_id"]) else None


def approved_ancestor(store: Store, version_id: int) -> sqlite3.Row | None:
    """The newest version in the lineage (itself included) that review approved, or None."""
    return next((r for r in lineage(store, version_id) if r["status"] == "approve"), None)

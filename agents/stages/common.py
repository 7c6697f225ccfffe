"""Helpers every stage handler shares: the recorded LLM, the sandbox, specs, lineage.

Handlers do their slow work (LLM calls, sandbox runs) BEFORE ``ctx.write()``; the
helpers here never open a write transaction except :class:`_IdLog`, which records an LLM
call at once (money spent stays spent) exactly like the runtime's own call log.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.errors import BadPayload
from agents.llm import Budget, PriceTable, RecordedProvider, Reply, get_provider, load_prompt
from agents.llm.base import LLMCall, LLMProvider, Message
from agents.spec import StrategySpec
from agents.store.rows import Strategy, Version
from executor.types import RAY_STATUS_FILE, BacktestOptions, Sandbox

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext
    from agents.settings import Settings
    from agents.store import Store, StoreCallLog

__all__ = [
    "OPTIONS", "Asked", "Job", "ask", "close_strategy", "label_model", "lineage", "load_job",
    "load_version", "options_for", "primary_stats", "sandbox", "spec_of",
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
    """One backend instance per name (``auto`` probes Docker once per process). Docker
    reuses a container for the runs of one code version unless ``RBI_DOCKER_REUSE=0``."""
    from executor import get_sandbox

    with _lock:
        if settings.backend not in _sandboxes:
            kw: dict[str, Any] = {}
            if settings.backend == "ray":  # the dashboard's cluster page reads status_path
                kw = {"address": settings.ray_address or None,
                      "status_path": Path(settings.results_dir) / RAY_STATUS_FILE}
            elif settings.backend in ("docker", "auto"):
                # one container serves a code version's runs, reset in between
                # (RBI_DOCKER_REUSE=0: a fresh container per run)
                from executor import reuse_default

                kw = {"reuse": reuse_default()}
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


def load_version(ctx: HandlerContext, payload: dict[str, Any]) -> Version:
    v: Version | None = ctx.store.version(int(payload["version_id"]))
    if v is None:
        raise BadPayload(f"version {payload['version_id']} does not exist")
    return v


def spec_of(row: Version | Strategy) -> StrategySpec:
    """The spec stored with a version (or strategy) row."""
    return StrategySpec.from_dict(row.spec)


def lineage(store: Store, version_id: int) -> list[Version]:
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
        vid = row.parent_id
    return out


def primary_stats(store: Store, version_id: int) -> tuple[str | None, dict[str, Any]]:
    """(dataset, stats) of the version's first ok result (its own params)."""
    row = store.primary_result(version_id)
    if row is None:
        return None, {}
    return row.dataset, row.stats


def close_strategy(store: Store, strategy_id: int, status: str, reason: str) -> None:
    """Terminal strategy status; its idea follows when no sibling is still active.
    Call inside the handler's ``ctx.write()``."""
    store.set_strategy_status(strategy_id, status, reason)
    s = store.strategy(strategy_id)
    if s is None or s.idea_id is None:
        return
    if store.active_siblings(s.idea_id) == 0:
        store.set_idea_status(s.idea_id, TERMINAL_IDEA.get(status, status), reason)


def strategy_active(store: Store, strategy_id: int) -> bool:
    row = store.strategy(strategy_id)
    return row is not None and row.status == "active"


def active_version(ctx: HandlerContext, payload: dict[str, Any]) -> Version | None:
    """The payload's version row, or None when its strategy is no longer active
    (killed, failed, approved or cancelled meanwhile: the event then does nothing)."""
    v = load_version(ctx, payload)
    return v if strategy_active(ctx.store, v.strategy_id) else None


def approved_ancestor(store: Store, version_id: int) -> Version | None:
    """The newest version in the lineage (itself included) that review approved, or None."""
    return next((r for r in lineage(store, version_id) if r.status == "approve"), None)


@dataclass(frozen=True)
class Job:
    """What promote, review, optimise and execute start from: the active version, its
    spec and parameters, and the stats of its primary run (its first ok run of its own
    parameters; ``dataset`` None and ``stats`` empty when it has none yet)."""

    version: Version
    spec: StrategySpec
    params: dict[str, Any]
    dataset: str | None
    stats: dict[str, Any]

    @property
    def strategy_id(self) -> int:
        return self.version.strategy_id

    @property
    def data(self) -> str:
        """The primary run's dataset, else the spec's first."""
        return self.dataset or self.spec.datasets[0]


def load_job(ctx: HandlerContext, payload: dict[str, Any], *, stats: bool = True) -> Job | None:
    """The payload's job, or None when its strategy is no longer active (killed,
    failed, approved or cancelled meanwhile: the event then does nothing). ``stats``
    False skips reading the primary run (validate/execute run before there is one)."""
    v = active_version(ctx, payload)
    if v is None:
        return None
    dataset, primary = primary_stats(ctx.store, v.id) if stats else (None, {})
    return Job(v, spec_of(v), v.params, dataset, primary)

"""Fill a results database through the real store and queue APIs (tests and bench)."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

from agents.store import Store
from agents.store.queue import Queue

CODE = '''from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class SmaCross(Strategy):
    n1 = {n1}
    n2 = {n2}

    def init(self):
        self.a = self.I(SMA, self.data.Close, self.n1)
        self.b = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.a, self.b):
            self.buy()
        elif crossover(self.b, self.a):
            self.sell()
'''


def run_result(rng: random.Random, *, ok: bool = True, backend: str = "local") -> dict[str, Any]:
    """A RunResult-shaped dict (what ``RunResult.to_dict()`` gives the store)."""
    if not ok:
        cls = rng.choice(["TimeoutError", "MemoryError", "NameError", "Violation"])
        return {"status": "error" if cls != "TimeoutError" else "timeout", "backend": backend,
                "error": {"type": cls, "message": f"{cls}: simulated failure"},
                "timings": {"total": rng.uniform(0.1, 3.0)}}
    sharpe = rng.uniform(-1.0, 2.5)
    return {
        "status": "ok", "backend": backend, "timings": {"total": rng.uniform(0.2, 4.0)},
        "stats": {"Sharpe Ratio": sharpe, "Return [%]": sharpe * rng.uniform(10, 60),
                  "Max. Drawdown [%]": -rng.uniform(3, 45), "Win Rate [%]": rng.uniform(30, 70),
                  "# Trades": rng.randint(5, 200), "Equity Final [$]": 10000 * (1 + sharpe / 5)},
        "data_sha256": "ab" * 32, "versions": {"backtesting": "0.6.6"},
    }


def seed(db: Path | str, *, strategies: int = 12, results_per_version: int = 2,
         versions: int = 2, datasets: tuple[str, ...] = ("GOOG", "EURUSD"),
         seed_value: int = 7, llm_calls: int = 20, dead_events: int = 3,
         done_events_per_strategy: int = 0) -> dict[str, Any]:
    """Ideas, strategies with version lineage, results, optimisation, reviews, LLM calls,
    queue events (done, ready, running, dead). Returns ids for the tests."""
    rng = random.Random(seed_value)
    out: dict[str, Any] = {"strategies": [], "versions": [], "results": []}
    with Store(db) as s, s.tx():  # one transaction: seeding 10,000 results takes seconds
        q = Queue(s, max_attempts=1)
        for i in range(strategies):
            idea, _ = s.add_idea(f"idea {i}: cross two moving averages, variant {i}")
            sid, _ = s.add_strategy(idea, f"SmaCross{i:03d}", {"kind": "sma", "variant": i})
            out["strategies"].append(sid)
            parent = None
            for v in range(versions):
                n1, n2 = 5 + i % 7 + v, 20 + v * 5
                vid, _ = s.add_version(sid, CODE.format(n1=n1, n2=n2), parent_id=parent,
                                       params={"n1": n1, "n2": n2}, agent="seed",
                                       spec={"kind": "sma"}, note=f"v{v + 1}")
                out["versions"].append(vid)
                if parent is not None:
                    s.add_optimization(parent, vid, "params", changes_made=f"n1 -> {n1}",
                                       performance_delta=rng.uniform(-0.3, 0.5))
                for k in range(results_per_version):
                    ds = datasets[k % len(datasets)]
                    res = run_result(rng, ok=rng.random() > 0.1,
                                     backend=rng.choice(["local", "docker"]))
                    rid, _ = s.record_result(vid, res, ds, params={"n1": n1, "n2": n2, "k": k})
                    out["results"].append(rid)
                s.set_version_status(vid, "ran")
                parent = vid
            s.add_review(parent, rng.choice(["approve", "kill", "needs_work"]),
                         gates={"sharpe": {"value": 1.0, "ok": True}}, summary="seeded review")
            s.set_strategy_status(sid, rng.choice(["approved", "killed", "active", "failed"]))
            q.enqueue("execute", {"strategy_id": sid, "version_id": parent})
            for k in range(done_events_per_strategy):
                q.enqueue(("research", "backtest", "validate", "review")[k % 4],
                          {"strategy_id": sid}, idempotency_key=f"seed:{sid}:{k}")
                ev = q.claim("seed", 60)
                if ev is not None:
                    q.ack(ev)
        for j in range(llm_calls):
            s.record_llm_call({"provider": "offline", "model": "scripted", "purpose": "research",
                               "tokens_in": 1000 + j, "tokens_out": 200, "cost_usd": 0.01,
                               "latency_ms": 120.0, "error": None if j % 7 else "timeout"})
        for _ in range(dead_events):
            eid, _ = q.enqueue("debug", {"strategy_id": out["strategies"][0]})
            ev = q.claim("seed", 60, types=["debug"])
            if ev is not None:
                q.fail(ev, "simulated crash in debug", "RuntimeError", retryable=False)
        q.enqueue("research", {"idea_id": 1})
        q.claim("seed", 600, types=["research"])
    return out


NEEDED_COLUMNS = {"equity_json": "TEXT", "trades_json": "TEXT", "resources_json": "TEXT"}


def add_run_detail_columns(db: Path | str) -> None:
    """The columns the dashboard reads when present (not in the schema yet): what a
    migration would add so each result keeps ``RunResult.equity_curve/trades/resources``."""
    conn = sqlite3.connect(str(db))
    have = {r[1] for r in conn.execute("PRAGMA table_info(backtest_results)")}
    for col, kind in NEEDED_COLUMNS.items():
        if col not in have:
            conn.execute(f"ALTER TABLE backtest_results ADD COLUMN {col} {kind}")
    conn.commit()
    conn.close()


def store_run_detail(db: Path | str, result_id: int, result: dict[str, Any]) -> None:
    conn = sqlite3.connect(str(db))
    conn.execute("UPDATE backtest_results SET equity_json = ?, trades_json = ?, "
                 "resources_json = ? WHERE id = ?",
                 (json.dumps(result.get("equity_curve") or []),
                  json.dumps(result.get("trades") or []),
                  json.dumps(result.get("resources") or {}), result_id))
    conn.commit()
    conn.close()

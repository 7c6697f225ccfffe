"""Scripted stages and process helpers for the store/queue/runtime tests.

``RBI_PIPELINE=tests.helpers_agents:PIPELINE`` makes ``python -m agents.rbi run`` take
each idea through research -> backtest -> execute -> review -> optimise -> execute ->
review (7 events), writing a strategy, two versions, results per dataset, an
optimisation record and a review, with no LLM and no sandbox.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from agents.pipeline import Stage

REPO = Path(__file__).resolve().parents[1]


def _work(ctx: Any, scale: float = 1.0) -> None:
    """Pretend sandbox work: a few ms, with cancellation checkpoints."""
    scale *= float(os.environ.get("RBI_TEST_WORK_SCALE", "1"))
    with ctx.sandbox_slot():
        for _ in range(3):
            ctx.check_cancelled()
            time.sleep(((ctx.event.id * 37) % 17) / 1000.0 * scale)


def research(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx)
    with ctx.write() as s:
        sid, _ = s.add_strategy(payload["idea_id"], f"idea{payload['idea_id']}", {"kind": "sma"})
        ctx.emit("backtest", {"idea_id": payload["idea_id"], "strategy_id": sid})


def backtest(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx)
    with ctx.write() as s:
        vid, _ = s.add_version(payload["strategy_id"], f"# strategy {payload['strategy_id']} v1\n",
                               agent="scripted", params={"n": 10})
        ctx.emit("execute", {"version_id": vid, "strategy_id": payload["strategy_id"]})


def execute(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx, 2.0)
    vid = payload["version_id"]
    with ctx.write() as s:
        for i, ds in enumerate(ctx.settings.datasets):
            result = {"status": "ok", "stats": {"Sharpe Ratio": (vid % 7) / 3 + i,
                                                "Return [%]": vid * 1.5, "# Trades": 12 + vid,
                                                "Win Rate [%]": 50.0, "Max. Drawdown [%]": -10.0},
                      "params": {"n": 10}, "backend": "scripted", "timings": {"total": 0.01}}
            _, created = s.record_result(vid, result, ds, seed=ctx.settings.seed,
                                         event_id=ctx.event.id)
            if not created:  # a committed event ran again: the exactly-once promise broke
                raise AssertionError(f"duplicate result write for version {vid} on {ds}")
        ctx.emit("review", {"version_id": vid, "strategy_id": payload["strategy_id"]})


def review(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx)
    v = ctx.store.version(payload["version_id"])
    idea = ctx.store.strategy(v.strategy_id).idea_id
    with ctx.write() as s:
        if v.version == 1:
            s.add_review(v.id, "needs_work", summary="try a longer window", event_id=ctx.event.id)
            ctx.emit("optimise", {"version_id": v.id, "strategy_id": v.strategy_id})
        else:
            s.add_review(v.id, "approve", summary="good enough", event_id=ctx.event.id)
            s.set_strategy_status(v.strategy_id, "approved")
            s.set_idea_status(idea, "done")


def optimise(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx)
    parent = ctx.store.version(payload["version_id"])
    with ctx.write() as s:
        child, _ = s.add_version(parent.strategy_id, parent.code + "# n = 20\n",
                                 parent_id=parent.id, agent="scripted-optimiser",
                                 params={"n": 20})
        s.add_optimization(parent.id, child, "params", changes_made="n 10 -> 20",
                           performance_delta=0.1, event_id=ctx.event.id)
        ctx.emit("execute", {"version_id": child, "strategy_id": parent.strategy_id})


# -- fault stages ---------------------------------------------------------------------
def boom(ctx: Any, payload: dict[str, Any]) -> None:
    raise ValueError(f"scripted failure on attempt {ctx.event.attempts}")


def flaky(ctx: Any, payload: dict[str, Any]) -> None:
    if ctx.event.attempts < payload.get("succeed_on", 3):
        raise RuntimeError(f"flaky attempt {ctx.event.attempts}")
    with ctx.write() as s:
        s.add_learning(f"flaky event {ctx.event.id} succeeded", kind="test")


def noop(ctx: Any, payload: dict[str, Any]) -> None:
    return None


def contend(ctx: Any, payload: dict[str, Any]) -> None:
    """Attempt 1: another connection holds the write lock while we try to write."""
    if ctx.event.attempts == 1:
        held, done = threading.Event(), threading.Event()

        def hold() -> None:
            c = sqlite3.connect(ctx.settings.db, isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            held.set()
            done.wait(5)
            c.execute("ROLLBACK")
            c.close()

        t = threading.Thread(target=hold)
        t.start()
        held.wait(5)
        try:
            with ctx.write() as s:
                s.add_learning(f"contend {ctx.event.id}", kind="test")
        finally:
            done.set()
            t.join()
    with ctx.write() as s:
        s.add_learning(f"contend {ctx.event.id}", kind="test")


def fill_pages(ctx: Any, payload: dict[str, Any]) -> None:
    """The database may not grow (``max_page_count``) while we write a big row."""
    conn = ctx.store.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    try:
        with ctx.write() as s:
            s.add_learning("x" * 200_000 + str(ctx.event.id), kind="big")
    finally:
        conn.execute("PRAGMA max_page_count = 1073741823")


def write_big(ctx: Any, payload: dict[str, Any]) -> None:
    with ctx.write() as s:
        s.add_learning("y" * payload.get("size", 2_000_000) + str(ctx.event.id), kind="big")


def slow(ctx: Any, payload: dict[str, Any]) -> None:
    """Runs ``seconds`` with checkpoints; writes a marker when it finishes."""
    end = time.time() + payload.get("seconds", 2.0)
    while time.time() < end:
        ctx.check_cancelled()
        time.sleep(0.05)
    with ctx.write() as s:
        s.add_learning(f"slow {ctx.event.id} finished", kind="test")


PIPELINE: dict[str, str | Stage] = {
    "research": Stage("tests.helpers_agents:research", ("idea_id",)),
    "backtest": Stage("tests.helpers_agents:backtest", ("strategy_id",)),
    "execute": Stage("tests.helpers_agents:execute", ("version_id",)),
    "review": Stage("tests.helpers_agents:review", ("version_id",)),
    "optimise": Stage("tests.helpers_agents:optimise", ("version_id",)),
    "boom": "tests.helpers_agents:boom",
    "flaky": "tests.helpers_agents:flaky",
    "noop": Stage("tests.helpers_agents:noop", ("n",)),
    "contend": "tests.helpers_agents:contend",
    "fill_pages": "tests.helpers_agents:fill_pages",
    "write_big": "tests.helpers_agents:write_big",
    "slow": "tests.helpers_agents:slow",
}
NO_RESEARCH = {k: v for k, v in PIPELINE.items() if k != "research"}


# -- process helpers ---------------------------------------------------------------------
def rbi_env(db: Path, **extra: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RBI_") and k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    env.update(PYTHONPATH=str(REPO), RBI_DB=str(db), RBI_IDEAS_DIR=str(db.parent / "ideas"),
               RBI_RESULTS_DIR=str(db.parent), RBI_PIPELINE="tests.helpers_agents:PIPELINE",
               RBI_RETRY_BASE_SECONDS="0.02", RBI_RETRY_MAX_SECONDS="0.5",
               RBI_POLL_INTERVAL="0.2", RBI_LEASE_SECONDS="3", RBI_WORKERS="2")
    env.update({f"RBI_{k.upper()}": str(v) for k, v in extra.items()})
    return env


def rbi(db: Path, *args: str, timeout: float = 120, **extra: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agents.rbi", *args], cwd=REPO,
                          env=rbi_env(db, **extra), capture_output=True, text=True, timeout=timeout)


def rbi_popen(db: Path, *args: str, **extra: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "agents.rbi", *args], cwd=REPO,
                            env=rbi_env(db, **extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def rbi_json(db: Path, *args: str, **extra: Any) -> Any:
    p = rbi(db, *args, "--json", **extra)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def wait_for(pred: Any, timeout: float = 30.0, every: float = 0.05) -> Any:
    end = time.time() + timeout
    while time.time() < end:
        try:
            got = pred()
        except sqlite3.Error:  # the database is still being created by the other process
            got = None
        if got:
            return got
        time.sleep(every)
    raise AssertionError("condition not reached in time")


def sql(db: Path, query: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    c = sqlite3.connect(db)
    try:
        return c.execute(query, args).fetchall()
    finally:
        c.close()

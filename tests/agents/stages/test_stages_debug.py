"""Debug stage: broken code (forbidden import, lowercase columns, pandas API on a numpy
array) is repaired attempt by attempt, each attempt a child version, then runs."""

from __future__ import annotations

import json
from pathlib import Path

from agents.inbox import submit_idea
from agents.offline import idea_to_spec
from agents.stages.common import lineage
from agents.stages.debug import attempts_so_far
from agents.store import Store
from agents.store.queue import Queue
from tests.helpers import run_once, stage_settings

BROKEN = '''import os
import talib
from backtesting import Strategy
from backtesting.lib import crossover


class BrokenSma(Strategy):
    fast = 10
    slow = 30

    def init(self):
        self.vol = self.I(talib.SMA, self.data.Volume, timeperiod=20)
        self.f = self.I(talib.SMA, self.data.close, timeperiod=self.fast)
        self.s = self.I(talib.SMA, self.data.close, timeperiod=self.slow)

    def next(self):
        if crossover(self.f, self.s) and self.data.Close.iloc[-1] > 0:
            self.buy(size=0.95)
        elif crossover(self.s, self.f):
            self.position.close()
'''


def _seed_broken(settings, code: str) -> tuple[int, int]:
    spec = idea_to_spec("moving average crossover on GOOG", 0).to_dict()
    spec["name"] = "BrokenSma"
    spec["parameters"] = [
        {"name": "fast", "default": 10, "low": 5, "high": 20, "step": 5, "type": "int"},
        {"name": "slow", "default": 30, "low": 25, "high": 60, "step": 5, "type": "int"}]
    with Store(settings.db) as store:
        idea_id, _ = submit_idea(store, "hand-written broken SMA cross", first_stage="none")
        sid, _ = store.add_strategy(idea_id, "BrokenSma", spec)
        vid, _ = store.add_version(sid, code, spec=spec, params={"fast": 10, "slow": 30},
                                   agent="test")
        Queue(store).enqueue("validate", {"strategy_id": sid, "version_id": vid},
                             idempotency_key="test:validate", strategy_id=sid)
    return sid, vid


def test_broken_code_is_repaired_with_lineage(tmp_path: Path) -> None:
    settings = stage_settings(tmp_path, debug_max_attempts=3)
    sid, v1 = _seed_broken(settings, BROKEN)
    run_once(settings)
    with Store(settings.db) as store:
        versions = store.all("SELECT * FROM strategy_versions WHERE strategy_id = ? "
                             "ORDER BY version", (sid,))
        results = store.all("SELECT version, status, error_class, error_message FROM "
                            "backtest_results WHERE strategy_id = ? ORDER BY id", (sid,))
        last = versions[-1]
        chain = [r.id for r in lineage(store, last["id"])]
        assert attempts_so_far(store, last["id"]) == len(versions) - 1
        ok = store.all("SELECT * FROM backtest_results WHERE version_id = ? AND status = 'ok'",
                       (last["id"],))
        reviews = store.all("SELECT outcome FROM reviews WHERE version_id = ?", (last["id"],))
    # v1 is refused by the validator (os), v2 fixes imports + column case by rules and
    # fails at run time on `.iloc` of a numpy array, v3 indexes it like an array and runs.
    assert [r["agent"] for r in versions] == ["test", "debug", "debug"], [dict(r) for r in versions]
    assert chain == [v["id"] for v in reversed(versions)]  # each attempt's parent is the last
    assert versions[0]["status"] == "rejected"
    assert results[0]["status"] == "rejected" and results[0]["version"] == 1
    assert "[rejected]" in versions[1]["note"] and "os" in versions[1]["note"]
    assert "self.data.Close" in versions[1]["code"] and "import os" not in versions[1]["code"]
    assert results[1]["version"] == 2 and results[1]["status"] == "error"
    assert "[series_vs_array]" in versions[2]["note"] and ".iloc" not in versions[2]["code"]
    assert ok and json.loads(ok[0]["stats_json"])["# Trades"] > 0
    assert ok[0]["backend"] == "local"
    assert reviews, "the repaired version was reviewed"


def test_debug_gives_up_after_max_attempts(tmp_path: Path) -> None:
    settings = stage_settings(tmp_path, debug_max_attempts=1)
    sid, _ = _seed_broken(settings, BROKEN)
    run_once(settings)
    with Store(settings.db) as store:
        s = store.one("SELECT status, reason FROM strategies WHERE id = ?", (sid,))
        n = store.one("SELECT COUNT(*) FROM strategy_versions WHERE strategy_id = ?", (sid,))[0]
        dead = store.one("SELECT COUNT(*) FROM events WHERE status = 'dead'")[0]
    assert s["status"] == "failed" and "1 attempt(s) used (max 1)" in s["reason"], dict(s)
    assert n == 2 and dead == 0


def test_zero_trades_widens_the_blocking_threshold_within_its_range(tmp_path: Path) -> None:
    from agents.offline import spec_to_code
    from agents.spec import StrategySpec

    settings = stage_settings(tmp_path, debug_max_attempts=2)
    d = idea_to_spec("RSI oversold bounce on GOOG", 0).to_dict()
    for p in d["parameters"]:
        p["default"] = {"rsi_period": 30, "rsi_low": 10}.get(p["name"], p["default"])
    spec = StrategySpec.from_dict(d)  # a 30-bar RSI never dips under 10 on GOOG
    high = next(p.high for p in spec.parameters if p.name == "rsi_low")
    sid, vid = _seed_broken(settings, spec_to_code(spec))
    with Store(settings.db) as store:
        store.conn.execute("UPDATE strategy_versions SET spec_json = ?, params_json = ? "
                           "WHERE id = ?", (spec.to_json(), json.dumps(spec.defaults()), vid))
    run_once(settings)
    with Store(settings.db) as store:
        r = store.one("SELECT status, num_trades FROM backtest_results WHERE version_id = ?", (vid,))
        ev = store.one("SELECT payload FROM events WHERE type = 'debug'")
        child = store.one("SELECT agent, note, params_json, code FROM strategy_versions "
                          "WHERE parent_id = ?", (vid,))
    assert r["status"] == "ok" and r["num_trades"] == 0
    assert json.loads(ev["payload"])["problem"]["error"]["type"] == "zero_trades"
    # the rules act on the blocking rule: rsi_low moved to the top of its range, in the
    # code and in the params the harness passes (recorded in the note)
    assert child["agent"] == "debug" and "[zero_trades] rules:" in child["note"]
    assert f"rsi_low = 10 -> {high}" in child["note"]
    assert json.loads(child["params_json"])["rsi_low"] == high
    assert f"rsi_low = {high}" in child["code"]

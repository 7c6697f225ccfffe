"""End to end with no API key, real processes: ``ideas add`` then ``run --once`` takes an
idea through research, code, packaging, validation, sandboxed runs, review and at least
one optimisation round; ``history`` and ``show`` report it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import rbi, sql

STAGES = dict(pipeline="agents.stages:PIPELINE", optimise_max_iterations=1, workers=2,
              lease_seconds=10)


def _json(db: Path, *args: str) -> object:
    p = rbi(db, *args, "--db", str(db), "--json", **STAGES)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_offline_idea_to_optimised_strategy(tmp_path: Path) -> None:
    check_offline_cycle(tmp_path, "local")


def check_offline_cycle(tmp_path: Path, backend: str, **env: str) -> None:
    """The whole loop on one idea through ``backend`` (tests/executor/backends/ray/test_ray_cycle.py: ray)."""
    db = tmp_path / "rbi.sqlite"
    added = _json(db, "ideas", "add", "RSI oversold bounce on GOOG")
    assert added[0]["created"]
    p = rbi(db, "run", "--once", "--db", str(db), "--backend", backend, timeout=600,
            **STAGES, **env)
    assert p.returncode == 0, p.stderr[-3000:]

    [(sid, name, status)] = sql(db, "SELECT id, name, status FROM strategies")
    assert name == "RsiOversoldBounceGoog" and status != "active"
    versions = sql(db, "SELECT id, parent_id, agent, code FROM strategy_versions ORDER BY id")
    assert versions[0][2] == "backtest" and "class RsiOversoldBounceGoog(Strategy)" in versions[0][3]
    ok = sql(db, "SELECT version_id, backend, dataset, num_trades, sharpe_ratio FROM "
                 "backtest_results WHERE status = 'ok'")
    assert ok and all(r[1] == backend and r[2] == "GOOG" for r in ok)
    assert sql(db, "SELECT COUNT(*) FROM reviews")[0][0] >= 2  # parent and child reviewed
    [(parent, child, kind, delta)] = sql(
        db, "SELECT parent_version, child_version, optimization_type, performance_delta "
            "FROM optimization_history")
    assert kind in ("param_search", "logic_change") and delta is not None and delta > 0
    assert (child, parent) in {(v[0], v[1]) for v in versions}  # a child of its parent
    assert {r[0] for r in ok} >= {parent, child}  # both ran in the sandbox
    llm = sql(db, "SELECT provider, purpose, prompt_version FROM llm_calls")
    assert {r[0] for r in llm} == {"offline"}
    assert {"research", "backtest", "review", "optimise"} <= {r[1] for r in llm}
    assert all(r[2].startswith(r[1]) for r in llm)  # the prompt version travels with each call
    assert not sql(db, "SELECT id FROM events WHERE status IN ('dead', 'ready', 'running')")
    idea_status = sql(db, "SELECT status FROM ideas")[0][0]
    assert idea_status in ("done", "killed", "failed")

    hist = _json(db, "history")
    assert hist[0]["id"] == sid and hist[0]["versions"] == len(versions)
    # issue 11: the best is a run of a version's own parameters with >= 10 trades, or none
    own = sql(db, "SELECT r.num_trades, r.sharpe_ratio FROM backtest_results r JOIN "
                  "strategy_versions v ON v.id = r.version_id WHERE r.status = 'ok' "
                  "AND r.params_json = v.params_json")
    enough = [sharpe for trades, sharpe in own if (trades or 0) >= 10]
    best = hist[0]["best"]
    assert (best is None and not enough) or best["sharpe_ratio"] == max(enough)
    assert best is None or best["num_trades"] >= 10
    shown = _json(db, "show", f"S{sid}")
    by_id = {v["id"]: v for v in shown["versions"]}
    assert by_id[child]["parent_id"] == parent
    assert by_id[child]["optimization"]["optimization_type"] == kind
    assert by_id[child]["code"] != by_id[parent]["code"]
    assert {r["version_id"] for r in shown["reviews"]} >= {parent, child}
    assert any(r["status"] == "ok" for r in shown["results"])

"""Must-show through the loop's own stages (real SQLite, the local sandbox, the offline
provider): an overfit strategy is killed by the research gates after the optimiser tuned
its six parameters on a short window, a one-bar peeker added as a ``.py`` idea is killed
by the look-ahead check naming the first offending bar, and ``show`` gives the reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents.spec import StrategySpec
from agents.store import Store
from agents.store.queue import Queue
from tests.agents.research.cases import OVERFIT, PEEK
from tests.helpers import rbi, run_once, sql, stage_settings

# lean checks: the gates are the shipped defaults, only the work per check is smaller
LEAN: dict[str, Any] = {"robustness": {
    "lookahead": {"cuts": [0.5, 0.9]}, "random_data": {"walks": 3},
    "monte_carlo": {"paths": 500}, "walk_forward": {"folds": 3}, "pbo": {"blocks": 8},
    "costs": {"multipliers": [1.5]}, "regimes": {"enabled": False}}}

OVERFIT_SPEC = {
    "name": "Overfit", "hypothesis": "six knobs tuned on two years of GOOG",
    "indicators": [], "entry": [{"text": "fast SMA above slow, RSI inside a band", "kind": "text"}],
    "exit": [{"text": "close after `hold` bars", "kind": "text"}],
    "parameters": [
        {"name": "n_fast", "default": 5, "low": 2, "high": 10, "step": 1, "type": "int"},
        {"name": "n_slow", "default": 20, "low": 12, "high": 40, "step": 2, "type": "int"},
        {"name": "rsi_n", "default": 14, "low": 5, "high": 20, "step": 1, "type": "int"},
        {"name": "rsi_lo", "default": 40, "low": 20, "high": 50, "step": 5, "type": "int"},
        {"name": "rsi_hi", "default": 60, "low": 55, "high": 80, "step": 5, "type": "int"},
        {"name": "hold", "default": 5, "low": 2, "high": 15, "step": 1, "type": "int"}],
    "constraints": ["n_fast < n_slow"], "datasets": ["GOOG"]}


def _show(db: Path, sid: int) -> tuple[str, dict[str, Any]]:
    text = rbi(db, "show", f"S{sid}", "--no-code", "--db", str(db))
    doc = rbi(db, "show", f"S{sid}", "--no-code", "--json", "--db", str(db))
    assert text.returncode == 0 and doc.returncode == 0, text.stderr + doc.stderr
    return text.stdout, json.loads(doc.stdout)


def test_overfit_strategy_is_killed_by_the_research_gates(tmp_path: Path) -> None:
    short = {**LEAN, "datasets": [{"name": "GOOG", "start": "2009-06-01", "end": "2011-06-30"}]}
    settings = stage_settings(tmp_path, optimise_max_iterations=2, optimise_trials=24,
                              research=short)
    spec = StrategySpec.from_dict(OVERFIT_SPEC).check()
    with Store(settings.db) as store:
        sid, _ = store.add_strategy(None, spec.name, spec.to_dict())
        vid, _ = store.add_version(sid, OVERFIT, spec=spec.to_dict(), params=spec.defaults(),
                                   agent="test")
        Queue(store).enqueue("validate", {"strategy_id": sid, "version_id": vid},
                             idempotency_key="t:validate", strategy_id=sid)
    run_once(settings)

    [(status, reason)] = sql(settings.db, "SELECT status, reason FROM strategies")
    assert status == "killed", reason
    tuned = sql(settings.db, "SELECT child_version, method, trials FROM optimization_rounds "
                             "WHERE child_version IS NOT NULL")
    assert tuned and tuned[0][2] == 24  # the optimiser searched 24 sets on the short window
    kills = [(v, json.loads(g)["research"]["decision"]) for v, g in sql(
        settings.db, "SELECT version_id, gates_json FROM reviews WHERE outcome = 'kill'")]
    assert kills, sql(settings.db, "SELECT version_id, outcome, summary FROM reviews")
    [(killed_v, decision)] = kills
    assert killed_v != vid  # the tuned child, not the untouched first version
    failed = {g["name"] for g in decision["gates"] if g["level"] == "kill" and g["passed"] is False}
    assert failed & {"dsr", "walk_forward", "pbo", "reality_check"}, decision
    assert "lookahead" not in failed
    words = ("DSR", "walk-forward out-of-sample PSR", "probability of backtest overfitting",
             "reality check")
    assert any(w in reason for w in words), reason
    assert not sql(settings.db, "SELECT id FROM holdout_reads")  # killed: the holdout stays sealed

    text, doc = _show(settings.db, sid)
    assert "status killed" in text and any(w in text for w in words), text
    [res] = [r for r in doc["research"] if r["version_id"] == killed_v]
    # N: the 24 searched variants (and more) were tried; correlated ones count as fewer
    assert res["reasons"] == decision["reasons"] and res["n_trials_raw"] >= 24
    assert 1 <= res["n_trials"] <= res["n_trials_raw"]


def test_peeking_py_idea_is_killed_by_the_lookahead_check(tmp_path: Path) -> None:
    settings = stage_settings(tmp_path, optimise_max_iterations=1, research=LEAN)
    script = tmp_path / "peek_ahead.py"
    script.write_text(PEEK, encoding="utf-8")
    db = settings.db
    added = rbi(db, "ideas", "add", str(script), "--db", str(db), "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)[0]["stage"] == "package"
    run_once(settings)

    [(sid, status, reason)] = sql(db, "SELECT id, status, reason FROM strategies")
    assert status == "killed", reason
    assert "look-ahead" in reason and "first offending bar" in reason, reason
    [(gates,)] = sql(db, "SELECT gates_json FROM reviews WHERE outcome = 'kill'")
    research = json.loads(gates)["research"]
    [finding] = research["evidence"]["lookahead_findings"]
    assert finding["kind"] == "lookahead" and finding["bar"] is not None and finding["time"]
    assert f"first offending bar {finding['bar']} (" in reason
    assert research["evidence"]["static_hints"][0]["kind"] == "negative_shift"
    assert not sql(db, "SELECT id FROM optimization_rounds")  # killed at once, never tuned

    text, _ = _show(db, sid)
    assert "look-ahead" in text and f"first offending bar {finding['bar']}" in text, text

"""Cycle reports from a real store DB: content matches the DB, output is byte-deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from agents.research.config import parse_config
from agents.research.evaluate import evaluate_candidate
from agents.research.reports import write_reports
from agents.research.runners import inprocess_runner
from agents.store import Store
from agents.store.holdout import HoldoutLedger
from tests.agents.research.cases import OPTS, PEEK, TREND, regime_market

CFG = parse_config({"robustness": {
    "lookahead": {"cuts": [0.5, 0.9]}, "random_data": {"walks": 3},
    "monte_carlo": {"paths": 2000}, "walk_forward": {"folds": 2},
    "costs": {"enabled": False}}}).robustness
CANDIDATES = [  # name, code, params, grid, reads the holdout (a promotion)
    ("Trend", TREND, {"n": 20}, [{"n": n} for n in (10, 20, 30, 50)], True),
    ("Peeker", PEEK, {}, [], False),
    ("Pending", TREND, {"n": 20}, [{"n": n} for n in (10, 20, 30, 50)], False),
]


def cycle(db: Path, data: pd.DataFrame, seed: int) -> Store:
    """One small offline cycle: evaluate three strategies (one through its holdout, as
    the promote stage does), record reviews, kill a fourth."""
    store = Store(db)
    run = inprocess_runner(OPTS)
    ledger = HoldoutLedger(store.conn)
    for name, code, params, grid, promote in CANDIDATES:
        sid, _ = store.add_strategy(None, name)
        vid, _ = store.add_version(sid, code, params=params)
        res = run(code, data, params)
        store.record_result(vid, res, "synthetic", params=params, seed=seed)
        key = {"strategy_id": sid, "version_id": vid, "dataset": "synthetic"}
        ev = evaluate_candidate(code, params, data, run, grid=grid, options=OPTS,
                                robustness_cfg=CFG, seed=seed,
                                ledger=ledger if promote else None, holdout_key=key)
        store.add_review(vid, ev.decision.outcome, gates={"research": ev.to_dict()},
                         summary="; ".join(ev.decision.reasons))
        if promote and ev.decision.outcome == "approve":
            store.set_strategy_status(sid, "approved", "promoted")
    kid, _ = store.add_strategy(None, "Peek")
    kv, _ = store.add_version(kid, "# peek\n")
    store.add_review(kv, "kill", gates={}, summary="look-ahead")
    store.set_strategy_status(kid, "killed", "look-ahead: first offending bar 644")
    return store


def test_reports_match_the_db_and_are_byte_identical(tmp_path: Path) -> None:
    data = regime_market(1000, seed=0)
    stamp = "2024-05-01T12:00:00+00:00"
    outs = []
    for i in (1, 2):
        store = cycle(tmp_path / f"run{i}.sqlite", data, seed=7)
        outs.append(write_reports(store.conn, tmp_path / f"out{i}", generated_at=stamp))
        if i == 1:
            db = store
        else:
            store.close()
    a, b = outs
    assert a["rankings"].name == "rankings_2024-05-01.json"
    for key in ("rankings", "killed", "candidates"):
        assert a[key].read_bytes() == b[key].read_bytes(), key
    # the same DB at another time: only generated_at differs
    later = write_reports(db.conn, tmp_path / "later", generated_at="2024-05-02T00:00:00+00:00")
    r1, r2 = (json.loads(p.read_text()) for p in (a["rankings"], later["rankings"]))
    assert r1["generated_at"] != r2["generated_at"] and r1["rankings"] == r2["rankings"]

    rankings = r1["rankings"]
    rows = db.all("SELECT s.name, r.outcome, r.gates_json FROM reviews r JOIN "
                  "strategies s ON s.id = r.strategy_id ORDER BY r.id")
    assert [r["outcome"] for r in rows] == ["approve", "kill", "approve", "kill"]
    # issue 11: rankings list only versions that are not killed
    assert len(rankings) == 2 and {x["strategy"] for x in rankings} == {"Trend", "Pending"}
    by_name = {x["strategy"]: x for x in rankings}
    for row in (rows[0], rows[2]):
        research = json.loads(row["gates_json"])["research"]
        got = by_name[row["name"]]
        assert got["outcome"] == row["outcome"]
        assert got["score"] == round(research["decision"]["score"], 6)
        assert got["dsr"] == round(research["evidence"]["dsr"], 6)
        assert got["n_trials"] == research["evidence"]["n_trials"]  # N in every report
    assert [x["rank"] for x in rankings] == [1, 2]
    scores = [x["score"] for x in rankings]
    assert scores == sorted(scores, reverse=True)

    killed = json.loads(a["killed"].read_text())["killed"]
    assert [(k["strategy"], k["reason"]) for k in killed] == [
        ("Peek", "look-ahead: first offending bar 644")]
    cands = json.loads(a["candidates"].read_text())
    assert set(cands) == {"candidates", "generated_at"} and cands["generated_at"] == stamp
    # issue 11: only a version that passed the holdout is a candidate; "Pending" was
    # approved by review but never read its holdout
    assert [(c["strategy"], c["holdout_read"]) for c in cands["candidates"]] == [("Trend", True)]
    assert by_name["Trend"]["sharpe"] > 0.5
    db.close()

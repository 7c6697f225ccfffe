"""The strategy page's research report and buy-and-hold line, from real evaluations.

Each test names the number it guards: the fan's last column IS the review's Monte Carlo
final-equity distribution; the buy-and-hold line ends at backtesting.py's own
``Buy & Hold Return [%]``; every gate the decision holds (a new one too) is a row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.dashboard import Dashboard
from agents.dashboard.buyhold import buy_and_hold
from agents.dashboard.charts import equity_svg
from agents.dashboard.fan import fan_from_result, fan_paths
from agents.dashboard.report_gates import gate_rows
from agents.research.montecarlo import monte_carlo
from agents.research.scoring import Evidence, decide
from agents.store import Store
from agents.store.schema import MIGRATIONS
from tests.agents.dashboard.browser.seed import CODE


@pytest.fixture(scope="module")
def goog_run() -> dict[str, Any]:
    """One real in-process run of SmaCross on GOOG (every equity row, every trade)."""
    from agents.research.runners import inprocess_runner
    from executor.datasets import load_dataset
    from executor.types import BacktestOptions

    run = inprocess_runner(BacktestOptions(cash=10_000.0, commission=0.002,
                                           exclusive_orders=True))
    res = run(CODE.format(n1=10, n2=20), load_dataset("GOOG").df, {})
    assert res.ok, res.error
    return res.to_dict()


def test_fan_last_column_is_the_reviews_final_equity_distribution() -> None:
    rets = np.random.default_rng(3).normal(0.01, 0.05, 57)
    for block in (1, 5):
        mc = monte_carlo(rets, paths=3000, block=block, seed=11).to_dict()
        fan = fan_paths(rets, paths=3000, block=block, seed=11)
        last = {k: v[-1] for k, v in fan["quantiles"].items()}
        # same generator, seed and chunking: identical paths, identical quantiles
        assert last == pytest.approx(mc["final_equity"], rel=1e-12)
        assert fan["observed"][-1] == pytest.approx(mc["observed_final"], rel=1e-12)
        assert fan["x"][0] == 0 and fan["x"][-1] == 57
        assert all(a <= b for a, b in zip(fan["quantiles"]["p05"], fan["quantiles"]["p95"],
                                          strict=True))


def test_fan_rebuilt_from_stored_trades_picks_the_inputs_the_review_used(
        goog_run: dict[str, Any]) -> None:
    trades, equity = goog_run["trades"], goog_run["equity_curve"]
    rets = [t["ReturnPct"] for t in trades]
    mc = monte_carlo(rets, paths=500, block=3, seed=2).to_dict()
    fan = fan_from_result(mc, trades, equity)
    assert fan is not None and fan["inputs"] == "return_pct" and fan["match"] < 1e-12
    assert {k: v[-1] for k, v in fan["quantiles"].items()} == pytest.approx(mc["final_equity"])
    # the stats branch's inputs: PnL over the equity at entry
    curve = {p["time"]: p["Equity"] for p in equity}
    shares = [t["PnL"] / curve[t["EntryTime"]] for t in trades]
    mc2 = monte_carlo(shares, paths=500, block=3, seed=2).to_dict()
    fan2 = fan_from_result(mc2, trades, equity)
    assert fan2 is not None and fan2["inputs"] == "equity_share" and fan2["match"] < 1e-9


def test_buy_and_hold_ends_at_backtestings_buy_and_hold_return(goog_run: dict[str, Any]) -> None:
    eq = goog_run["equity_curve"]
    want = goog_run["stats"]["Buy & Hold Return [%]"]
    bh, note = buy_and_hold(eq, "GOOG", want)
    assert len(bh) == len(eq) and "GOOG" in note
    assert bh[0] == pytest.approx(eq[0]["Equity"])
    # held from the first bar SmaCross(20) can trade (backtesting.py's figure), cash before
    assert (bh[-1] / bh[0] - 1) * 100 == pytest.approx(want, rel=1e-9)
    assert bh[18] == bh[0] and bh[20] != bh[0]
    assert "2004-09-16" in note  # GOOG's bar 19, where SMA(20) is first defined
    no_stat, _ = buy_and_hold(eq, "GOOG")  # without the statistic: held from the first point
    assert no_stat[20] != no_stat[0] and no_stat[-1] / no_stat[0] > bh[-1] / bh[0]
    svg = equity_svg(eq, goog_run["trades"], benchmark=bh)
    assert f'data-benchmark-points="{len(eq)}"' in svg and 'class="bh"' in svg
    assert buy_and_hold(eq, "no-such-dataset")[0] == []


def test_every_gate_of_the_decision_is_a_row_and_a_new_gate_needs_no_template() -> None:
    ev = Evidence(lookahead_findings=[], dsr=0.5, psr=0.97, n_trials=40, oos_efficiency=0.6,
                  pbo=0.2, random_profitable_fraction=0.25, trades=30, max_drawdown_pct=-20.0)
    d = decide(ev).to_dict()
    d["gates"].append({"level": "kill", "name": "brand_new_check", "value": 0.12,
                       "limit": 0.05, "passed": False, "reason": "0.12 > 0.05: new reason"})
    rows = gate_rows({"decision": d, "evidence": ev.to_dict(), "report": {}})
    assert [r["name"] for r in rows] == [g["name"] for g in d["gates"]]
    by = {r["name"]: r for r in rows}
    assert by["dsr"]["status"] == "fail" and by["dsr"]["value"] == 0.5
    assert "N = 40" in by["dsr"]["detail"] and "0.97" in by["dsr"]["detail"]
    assert by["pbo"]["status"] == "pass" and by["pbo"]["comparison"] == "≤"
    new = by["brand_new_check"]
    assert (new["label"], new["status"], new["reason"]) == ("brand new check", "fail",
                                                            "0.12 > 0.05: new reason")


def _reviewed(db: Path, goog_run: dict[str, Any]) -> tuple[Store, int, int]:
    s = Store(db)
    sid, _ = s.add_strategy(None, "SmaCross")
    vid, _ = s.add_version(sid, CODE.format(n1=10, n2=20))
    s.record_result(vid, goog_run, "GOOG", params={})
    rets = [t["ReturnPct"] for t in goog_run["trades"]]
    mc = monte_carlo(rets, paths=400, seed=5).to_dict()
    ev = Evidence(lookahead_findings=[], dsr=0.95, psr=0.99, n_trials=3, prob_ruin=0.0)
    research = {"decision": decide(ev).to_dict(), "evidence": ev.to_dict(),
                "report": {"monte_carlo": mc, "walk_forward": {"folds": [
                    {"is_metric": 1.2, "oos_metric": 0.4, "test": ["2010-01-01", "2010-06-01"]},
                    {"is_metric": 0.9, "oos_metric": -0.2, "test": ["2010-06-02", "2011-01-01"]}]}},
                "holdout_read": False}
    rid = s.add_review(vid, "needs_work", gates={"research": research}, summary="ok")
    return s, sid, rid


def test_the_page_reads_the_review_and_a_stored_fan_wins(tmp_path: Path,
                                                        goog_run: dict[str, Any]) -> None:
    db = tmp_path / "r.sqlite"
    s, sid, rid = _reviewed(db, goog_run)
    assert s.one("PRAGMA user_version")[0] == len(MIGRATIONS)
    dash = Dashboard(db)
    page = dash.handle("GET", f"/strategy/{sid}").body.decode()
    assert "no robustness results recorded" not in page
    assert page.count('class="gate ') == len(decide(Evidence()).gates)
    assert 'data-folds="2"' in page and 'class="chart fan"' in page
    assert "rebuilt from the" in page and "stored by the review" not in page
    stored = fan_paths([0.1, -0.05, 0.2], paths=50, seed=1)
    s.add_review_series(rid, "monte_carlo_fan", stored)
    assert s.add_review_series(rid, "monte_carlo_fan", stored)[1] is False  # once per name
    page = dash.handle("GET", f"/strategy/{sid}").body.decode()
    assert "stored by the review" in page and 'data-trades="3"' in page
    api = dash.handle("GET", f"/api/strategy/{sid}")
    assert b'"review_id": ' + str(rid).encode() in api.body
    s.close()


def test_a_strategy_without_research_says_where_it_comes_from(tmp_path: Path) -> None:
    db = tmp_path / "n.sqlite"
    with Store(db) as s:
        sid, _ = s.add_strategy(None, "Fresh")
        s.add_version(sid, "x = 1\n")
    page = Dashboard(db).handle("GET", f"/strategy/{sid}").body.decode()
    assert 'id="no-report"' in page and "review stage" in page


def test_the_stats_branch_gates_read_with_their_evidence() -> None:
    """Gates named as the issue-11 statistics name them (walk-forward OOS PSR, sign-test
    p-value, reality check, alpha, deflated holdout PSR) get labels, the right
    comparison and their evidence: N effective vs tried, walks won of k, holdout reads."""
    gates = [{"level": "kill", "name": n, "value": v, "limit": lim, "passed": True, "reason": ""}
             for n, v, lim in (("dsr", 0.93, 0.9), ("walk_forward", 0.85, 0.8),
                               ("random_data", 0.8, 0.01), ("reality_check", 0.04, 0.1),
                               ("alpha", 0.9, 0.8), ("holdout", 0.75, 0.7))]
    ev = {"n_trials": 12, "n_trials_raw": 40, "psr": 0.99, "random_p_value": 0.8,
          "exposure": 0.4}
    rep = {"holdout": {"sharpe": 0.6, "psr": 0.75, "reads": 2, "bars": 300},
           "walk_forward": {"folds": [{}, {}], "oos_sharpe": 0.7, "oos_bars": 500},
           "random_data": {"k": 30, "profitable": 12, "p_value": 0.8, "mean_return_pct": -1.0}}
    by = {r["name"]: r for r in gate_rows({"decision": {"gates": gates}, "evidence": ev,
                                           "report": rep})}
    assert "N = 12 effective trial(s) of 40 tried" in by["dsr"]["detail"]
    assert by["walk_forward"]["label"] == "Walk-forward OOS PSR"
    assert "stitched OOS Sharpe 0.7 over 500 bars" in by["walk_forward"]["detail"]
    assert by["random_data"]["comparison"] == "≥"  # a p-value must stay above alpha
    assert "12 of 30 random walks" in by["random_data"]["detail"]
    assert by["reality_check"]["comparison"] == "≤" and by["alpha"]["comparison"] == "≥"
    assert "read 2 time(s)" in by["holdout"]["detail"] and by["holdout"]["status"] == "pass"


def test_a_forgiven_pbo_shows_the_pbo_measured_and_why_it_did_not_count() -> None:
    """A grid where every variant carries the edge has a high PBO without overfitting; the
    decision then gates 0 (scoring._pbo_value). The row shows the PBO measured and says
    it was forgiven, not a bare 0 beside an evidence cell reading 0.45."""
    forgiven = Evidence(lookahead_findings=[], dsr=0.95, psr=0.99, n_trials=3, pbo=0.45,
                        pbo_oos_loss=0.02)
    d = decide(forgiven).to_dict()
    assert next(g for g in d["gates"] if g["name"] == "pbo")["value"] == 0.0  # what the gate read
    row = next(r for r in gate_rows({"decision": d, "evidence": forgiven.to_dict(), "report": {}})
               if r["name"] == "pbo")
    assert row["value"] == 0.45 and row["status"] == "pass"
    assert row["detail"].startswith("forgiven: the in-sample winner lost money out of sample "
                                    "in only 0.02 of the splits") and "PBO 0.45" in row["detail"]
    counted = Evidence(lookahead_findings=[], dsr=0.95, psr=0.99, n_trials=3, pbo=0.2,
                       pbo_oos_loss=0.4)
    row = next(r for r in gate_rows({"decision": decide(counted).to_dict(),
                                     "evidence": counted.to_dict(), "report": {}})
               if r["name"] == "pbo")
    assert row["value"] == 0.2 and not row["detail"].startswith("forgiven")
    clean = Evidence(lookahead_findings=[], dsr=0.95, psr=0.99, n_trials=3, pbo=0.0,
                     pbo_oos_loss=0.0)  # nothing forgiven: a PBO of 0 is just 0
    row = next(r for r in gate_rows({"decision": decide(clean).to_dict(),
                                     "evidence": clean.to_dict(), "report": {}})
               if r["name"] == "pbo")
    assert row["value"] == 0.0 and not row["detail"].startswith("forgiven")

"""Issue 11: the statistics behind approve / kill. Each test names the number it guards
and fails on the code before the fix (cold windows, zero-trade "best" rows, the leaking
and reused holdout, the win-rate gate, the strategy-local N, PBO 0.6, 8 random walks,
no benchmark, per-position Monte Carlo)."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.research import robustness
from agents.research.config import RobustnessConfig, parse_config
from agents.research.evaluate import evaluate_candidate
from agents.research.holdout import score_holdout
from agents.research.overfitting import probabilistic_sharpe, sharpe_moments
from agents.research.randomdata import sign_test_pvalue
from agents.research.realitycheck import spa_pvalue
from agents.research.runners import inprocess_runner
from agents.research.scoring import Evidence, decide
from agents.research.splits import split_frame
from agents.research.thresholds import load_thresholds
from agents.research.trials import effective_trials
from agents.research.walkforward import walk_forward
from agents.research.windowstats import window_returns
from agents.store.holdout import HoldoutLedger
from executor.types import RunResult
from tests.agents.research.cases import (
    BOUNCE,
    OPTS,
    SMA_CROSS,
    TREND,
    bounce_market,
    ohlcv_from_log_returns,
    regime_market,
)

FAST = parse_config({"robustness": {
    "lookahead": {"cuts": [0.5, 0.9]}, "random_data": {"walks": 10},
    "monte_carlo": {"paths": 2000}, "costs": {"enabled": False},
    "stability": {"enabled": False}}}).robustness
SLOW = 150  # bars of warm-up the slow strategy needs


def _batch(code: str):
    run = inprocess_runner(OPTS)
    return lambda ps, d: [run(code, d, p) for p in ps]


def test_walk_forward_test_windows_are_warm_and_stitched_into_one_psr() -> None:
    """Guards: no cold start (a 150-bar SMA on 150-bar test windows traded in NONE of
    them before), and kill.min_wf_psr (0.8) is the PSR of the stitched OOS returns."""
    data = regime_market(1050, seed=0)
    grid = [{"n": SLOW}]
    rep = walk_forward(data, grid, _batch(TREND), train=300, test=150)
    assert len(rep.folds) == 5 and rep.warmup
    # in the market in 4 of 5 windows (one is a down regime: flat, rightly)
    assert sum(f.oos_return not in (None, 0.0) for f in rep.folds) == 4
    cold = walk_forward(data, grid, _batch(TREND), train=300, test=150, warmup=False)
    assert all(f.oos_return == 0.0 for f in cold.folds)  # what the old code scored: nothing
    # the PSR is of the stitched test-window returns, recomputed here independently
    run = inprocess_runner(OPTS)
    pieces = []
    for k in range(5):
        lo, hi = 300 + 150 * k, 450 + 150 * k
        pieces.append(window_returns(run(TREND, data.iloc[:hi], grid[0]),
                                     data.index[lo], data.index[hi - 1]))
    m = sharpe_moments(pd.concat(pieces).to_numpy())
    assert rep.oos_bars == 750
    assert rep.oos_psr == pytest.approx(probabilistic_sharpe(m.sharpe, 0, m.n, m.skew, m.kurtosis))
    assert rep.oos_psr > load_thresholds().kill["min_wf_psr"]  # a real trend edge passes


def test_holdout_runs_on_history_and_is_deflated_by_its_reads(tmp_path: Path) -> None:
    """Guards kill.min_holdout_psr (0.5: the holdout, a fifth of the data with a handful of
    trades, confirms the sign; significance is DSR's and walk-forward PSR's job): scored on warm holdout bars only, and every
    earlier read of the dataset's holdout raises the bar (SR* of N reads)."""
    data = regime_market(1000, seed=0)
    run = inprocess_runner(OPTS)
    ledger = HoldoutLedger(sqlite3.connect(tmp_path / "l.sqlite"))
    key = {"strategy_id": 1, "version_id": 1, "dataset": "synthetic"}
    ev = evaluate_candidate(TREND, {"n": SLOW}, data, run, options=OPTS, robustness_cfg=FAST,
                            ledger=ledger, holdout_key=key,
                            thresholds=load_thresholds(overrides={"kill": {"min_dsr": 0.0}}))
    hold = ev.report.get("holdout")
    assert hold is not None, ev.decision.reasons
    assert hold["bars"] == 200 and hold["reads"] == 1 and ev.evidence.holdout_reads == 1
    assert hold["stats"]["Return [%]"] != 0.0  # cold, a 150-bar SMA sat out 150 of 200 bars
    split = split_frame(data)
    res = run(TREND, pd.concat([split.research, split.holdout]), {"n": 20})
    once, tenth = score_holdout(res, split, 1), score_holdout(res, split, 10)
    assert once["sr_star"] == 0 and tenth["sr_star"] > 0 and tenth["psr"] < once["psr"]
    for i in range(2, 5):
        ledger.record(strategy_id=i, version_id=i, dataset="synthetic")
    assert ledger.count("synthetic") == 4 and ledger.count("GOOG") == 0
    th = load_thresholds()
    assert th.kill["min_holdout_psr"] == 0.5
    ok = Evidence(lookahead_findings=[], dsr=0.95, wf_psr=0.9, alpha_psr=0.9, holdout_psr=0.45)
    assert decide(ok, th).outcome == "kill"  # a negative holdout Sharpe kills (-0.25 passed it)


def test_win_rate_no_longer_kills_a_positive_skew_edge() -> None:
    """Guards review_min_profit_factor (1.1) and expectancy > 0 replacing win rate >= 45 %."""
    from agents.settings import load_settings
    from agents.stages.review import gates

    s = load_settings(None)
    trend = {"Win Rate [%]": 30.0, "Profit Factor": 1.6, "Expectancy [%]": 0.8,
             "Max. Drawdown [%]": -20.0, "Sharpe Ratio": 0.9, "# Trades": 40}
    g = gates(trend, s)
    assert g["passed"], g
    assert "win_rate" not in g and s.review_min_profit_factor == 1.1
    losing = {**trend, "Win Rate [%]": 60.0, "Profit Factor": 0.8, "Expectancy [%]": -0.2}
    lg = gates(losing, s)
    assert not lg["passed"] and not lg["profit_factor"]["pass"] and not lg["expectancy"]["pass"]


def test_pbo_gate_is_0_3_and_required_after_a_search() -> None:
    """Guards kill.max_pbo (0.3; 0.6 passed pure-noise grids) and its presence."""
    th = load_thresholds()
    assert th.kill["max_pbo"] == 0.3
    base = dict(lookahead_findings=[], dsr=0.97, wf_psr=0.95, alpha_psr=0.95, searched=True,
                reality_check_p=0.01, sharpe=1.0, trades=40)
    noisy = decide(Evidence(**base, pbo=0.35, pbo_oos_loss=0.45), th)
    assert noisy.outcome == "kill" and any("overfitting 0.35" in r for r in noisy.reasons)
    missing = decide(Evidence(**base), th)
    assert missing.outcome == "needs_work" and any("pbo" in r for r in missing.reasons)
    # a grid of equally real edges: rank among equals is random, the winner still wins OOS
    flat = decide(Evidence(**base, pbo=0.5, pbo_oos_loss=0.02), th)
    assert not any(g["name"] == "pbo" and g["passed"] is False for g in flat.gates)


def test_random_data_sign_test_false_kills_under_one_percent() -> None:
    """Guards random_data.walks (30) and kill.random_data_alpha (0.01): the old 8 walks
    at >= 6/8 flagged a coin-flip strategy 14.5 % of the time."""
    old = sum(math.comb(8, i) for i in (6, 7, 8)) / 256
    assert old == pytest.approx(0.1445, abs=1e-4)
    k, alpha = RobustnessConfig().random_data.walks, load_thresholds().kill["random_data_alpha"]
    assert (k, alpha) == (30, 0.01)
    first = next(x for x in range(k + 1) if sign_test_pvalue(x, k) < alpha)
    false_kill = sum(math.comb(k, i) for i in range(first, k + 1)) / 2 ** k
    assert first == 22 and false_kill < 0.01
    # a real coin-flip strategy: profitable on each walk with p = 1/2 -> almost never flagged
    rng = np.random.RandomState(0)
    flags = [sign_test_pvalue(int(rng.binomial(k, 0.5)), k) < alpha for _ in range(20_000)]
    assert np.mean(flags) < 0.01


def test_reality_check_flags_a_searched_noise_grid_and_keeps_a_real_edge() -> None:
    """Guards kill.max_reality_check_p (0.1): Hansen's SPA over the searched grid."""
    rng = np.random.RandomState(1)
    noise = rng.normal(0, 0.01, size=(1000, 20))
    p_noise = [spa_pvalue(rng.normal(0, 0.01, size=(1000, 20)), seed=s)["p_value"]
               for s in range(10)]
    assert np.mean([p > 0.1 for p in p_noise]) >= 0.8
    edge = noise.copy()
    edge[:, 3] += 0.0015  # Sharpe ~2.4 a year on one variant
    assert spa_pvalue(edge, seed=0)["p_value"] < 0.05


def test_alpha_is_measured_against_buy_and_hold_at_the_same_exposure() -> None:
    """Guards kill.min_alpha_psr (0.8): pure beta is killed, a timing edge on a rising
    asset passes."""
    from agents.research.benchmark import alpha_report

    run = inprocess_runner(OPTS)
    rng = np.random.RandomState(3)
    rising = ohlcv_from_log_returns(0.0008 + 0.01 * rng.randn(1500), seed=3)
    beta = run(MONTHLY_HOLD, rising, {})
    rep = alpha_report(beta, rising)
    assert rep["exposure"] > 0.9 and rep["strategy_sharpe"] > 0  # it made money...
    assert rep["alpha_psr"] < 0.8  # ...as the asset did
    bumped = bounce_market(1500, seed=0)
    up = np.log(bumped["Close"]).diff().fillna(0.0).to_numpy() + 0.0008
    timing = ohlcv_from_log_returns(up, seed=4)
    edge = alpha_report(run(BOUNCE, timing, {}), timing)
    assert edge["exposure"] < 0.1 and edge["alpha_psr"] > 0.8


MONTHLY_HOLD = '''
from backtesting import Strategy


class MonthlyHold(Strategy):
    def init(self):
        pass

    def next(self):
        if len(self.data) % 21 == 0 and self.position:
            self.position.close()
        elif not self.position:
            self.buy()
'''


def test_dsr_n_counts_every_trial_in_the_lab_clustered(tmp_path: Path) -> None:
    """Guards kill.min_dsr (0.9) with N = effective trials on the dataset, lab-wide."""
    rng = np.random.RandomState(0)
    same = np.repeat(rng.randn(500, 1), 10, axis=1)
    assert effective_trials(same) == pytest.approx(1.0)
    assert effective_trials(rng.randn(500, 10)) > 8
    data = regime_market(1000, seed=0)
    run = inprocess_runner(OPTS)
    cfg = parse_config({"robustness": {"lookahead": {"enabled": False},
                        "walk_forward": {"enabled": False}, "random_data": {"enabled": False},
                        "monte_carlo": {"enabled": False}, "costs": {"enabled": False},
                        "stability": {"enabled": False}, "regimes": {"enabled": False}}})
    alone = evaluate_candidate(TREND, {"n": 20}, data, run, options=OPTS,
                               robustness_cfg=cfg.robustness)
    lab = evaluate_candidate(TREND, {"n": 20}, data, run, options=OPTS,
                             robustness_cfg=cfg.robustness, other_trials=500.0,
                             other_trials_raw=2000)
    assert alone.evidence.n_trials == 1 and lab.evidence.n_trials == 501
    assert lab.evidence.n_trials_raw == 2001 and lab.evidence.dsr < alone.evidence.dsr
    assert lab.report["trials"]["other_raw"] == 2000
    # the stage counts other strategies' trials on the same dataset
    from agents.stages.evaluation import lab_trials
    from agents.store import Store

    store = Store(tmp_path / "rbi.sqlite")
    for name, n_sets in (("A", 3), ("B", 2)):
        sid, _ = store.add_strategy(None, name)
        vid, _ = store.add_version(sid, TREND, params={"n": 20})
        for n in range(10, 10 + n_sets):
            store.record_result(vid, RunResult(status="ok", stats={"Sharpe Ratio": n / 10}),
                                "GOOG", params={"n": n})
    assert lab_trials(store, 1, "GOOG") == (2.0, 2) and lab_trials(store, 2, "GOOG") == (3.0, 3)
    assert lab_trials(store, 1, "EURUSD") == (0.0, 0)
    store.close()


def test_monte_carlo_resamples_pnl_as_a_share_of_equity() -> None:
    """A strategy trading 10 % of its equity: each trade moves the account a tenth of
    its return on the position, and the bootstrap's observed path must say so."""
    data = regime_market(800, seed=2)
    cfg = parse_config({"robustness": {"lookahead": {"enabled": False},
                        "walk_forward": {"enabled": False}, "random_data": {"enabled": False},
                        "costs": {"enabled": False}, "stability": {"enabled": False},
                        "regimes": {"enabled": False}, "monte_carlo": {"paths": 500}}})
    run = inprocess_runner(OPTS)
    ev = evaluate_candidate(TENTH, {}, data, run, options=OPTS, robustness_cfg=cfg.robustness,
                            thresholds=load_thresholds(overrides={"kill": {"min_dsr": 0.0,
                                                                           "min_alpha_psr": 0.0}}))
    mc = ev.report["monte_carlo"]
    final = 1 + ev.evidence.return_pct / 100
    assert mc["observed_final"] == pytest.approx(final, rel=0.01)
    per_position = np.prod([1 + t["ReturnPct"] for t in run(TENTH, split_frame(data).research,
                                                            {}).trades])
    assert abs(per_position - 1) > 3 * abs(final - 1)  # what the old bootstrap compounded


TENTH = TREND.replace("class Trend", "class Tenth").replace("self.buy()", "self.buy(size=0.1)")


def test_other_datasets_are_cut_to_the_research_dates(goog: pd.DataFrame) -> None:
    seen: list[pd.Timestamp] = []

    def runner(code, data, params, options=None):
        seen.append(data.index[-1])
        return RunResult(status="ok", stats={"Return [%]": 1.0})

    end = pd.Timestamp("2010-06-30")
    robustness.other_datasets("", {}, runner, ["GOOG"], start=pd.Timestamp("2008-01-01"),
                              end=end)
    assert seen and max(seen) <= end  # the holdout period stays unseen on every dataset


def test_planted_bounce_edge_is_approvable_and_a_searched_ma_on_noise_is_not() -> None:
    """The sanity pair from the issue: a next-day bounce after sharp drops (no drift)
    passes every gate; the optimiser's best moving-average cross on a pure random walk
    does not."""
    from executor.synthetic import synthetic_ohlcv

    run = inprocess_runner(OPTS)
    data = bounce_market(1500, seed=0)
    grid = [{"drop": d, "lookback": lb} for d in (1.5, 2.0, 2.5) for lb in (40, 60)]
    ev = evaluate_candidate(BOUNCE, {"drop": 2.0, "lookback": 60}, data, run, grid=grid,
                            options=OPTS, robustness_cfg=FAST)
    assert ev.decision.outcome == "approve", ev.decision.reasons
    noise = synthetic_ohlcv(1500, freq="1D", seed=0)
    sma_grid = [{"n1": a, "n2": b} for a in (5, 10, 20) for b in (30, 50, 100)]
    research = split_frame(noise).research
    best = max(sma_grid, key=lambda p: run(SMA_CROSS, research, p).stats.get("Sharpe Ratio") or -9)
    bad = evaluate_candidate(SMA_CROSS, best, noise, run, grid=sma_grid, options=OPTS,
                             robustness_cfg=FAST)
    assert bad.decision.outcome != "approve", bad.decision.reasons

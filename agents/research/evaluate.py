"""One entry point for the stages: every check on one candidate -> evidence + decision.

    ev = evaluate_candidate(code, params, data, runner, spec=spec, grid=grid,
                            n_trials=n_tried, robustness=cfg.robustness,
                            thresholds=load_thresholds(), ledger=HoldoutLedger(conn),
                            holdout_key={"strategy_id": sid, "version_id": vid,
                                         "dataset": "GOOG", "event_id": eid})
    ev.decision.outcome, ev.decision.reasons, ev.decision.score, ev.report

Order (cheap and decisive first; a failed kill gate stops the rest, and the sealed
holdout is read only when nothing before it killed the candidate and a ledger is given):
split -> static hints -> base run on in-sample+validation and truncation look-ahead check
(ONE sandbox call: the check's full run is the base run, and the search grid's runs ride
along on the same frame unless the runner's ``known`` has them all) -> grid evidence (trial Sharpes, effective trials, PBO,
reality check) -> DSR/PSR with N =
every effective trial on the dataset -> alpha over exposure-matched buy-and-hold ->
walk-forward (warm windows, stitched OOS PSR) -> random walks (sign test) -> Monte
Carlo, regimes, costs, stability, other datasets (research dates) -> holdout (once,
logged, run on history + holdout, PSR deflated by the dataset's reads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agents.numbers import finite, metric_of
from agents.research import (
    benchmark,
    lookahead,
    montecarlo,
    overfitting,
    randomdata,
    realitycheck,
    regimes,
    robustness,
)
from agents.research.bets import independent_bets
from agents.research.config import RobustnessConfig, SplitConfig
from agents.research.holdout import holdout_frame, score_holdout
from agents.research.jsonsafe import clean
from agents.research.lookahead_static import static_hints
from agents.research.runners import Runner, equity_series, memo_runner, run_jobs, run_many
from agents.research.scoring import Decision, Evidence, decide
from agents.research.splits import split_frame
from agents.research.thresholds import Thresholds, load_thresholds
from agents.research.trials import effective_trials
from agents.research.walkforward import walk_forward
from agents.spec import StrategySpec
from agents.store.holdout import HoldoutLedger
from executor.types import BacktestOptions

__all__ = ["Evaluation", "evaluate_candidate"]


@dataclass
class Evaluation:
    decision: Decision
    evidence: Evidence
    report: dict[str, Any] = field(default_factory=dict)
    holdout_read: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; store it as ``reviews.gates_json["research"]``."""
        return clean({"decision": self.decision.to_dict(), "evidence": self.evidence.to_dict(),
                      "report": self.report, "holdout_read": self.holdout_read})


def _returns(result: Any) -> np.ndarray:
    eq = equity_series(result)
    return np.asarray(eq.pct_change().dropna().to_numpy(), dtype="float64")


def _killed(ev: Evidence, th: Thresholds) -> Decision | None:
    d = decide(ev, th)
    return d if d.outcome == "kill" else None


def evaluate_candidate(
    code: str, params: dict[str, Any], data: pd.DataFrame, runner: Runner, *,
    spec: StrategySpec | None = None, grid: list[dict[str, Any]] | None = None,
    n_trials: int | None = None, trial_sharpes: list[float] | None = None,
    other_trials: float = 0.0, other_trials_raw: int = 0,
    robustness_cfg: RobustnessConfig | None = None, splits: SplitConfig | None = None,
    thresholds: Thresholds | None = None, options: BacktestOptions | None = None,
    ledger: HoldoutLedger | None = None, holdout_key: dict[str, Any] | None = None,
    seed: int = 0,
) -> Evaluation:
    """Run the configured checks on ``code`` with ``params`` (see module doc).

    ``grid``: the parameter sets the optimiser searched (walk-forward re-optimises over
    it; PBO, the reality check, the trials' Sharpe variance and their effective number
    come from it). ``n_trials``: every variant the loop tried for this strategy (>=
    len(grid)); ``other_trials`` / ``other_trials_raw``: the effective / raw trials of
    every other strategy on this dataset. DSR deflates by the sum (``n_trials``)."""
    cfg = robustness_cfg or RobustnessConfig()
    th = thresholds or load_thresholds()
    split = split_frame(data, **(splits or SplitConfig()).kwargs())
    research = split.research
    runner = memo_runner(runner, research)  # a check repeating a run (the costs' base) reuses it
    report: dict[str, Any] = {"split": split.bounds(), "params": dict(params)}
    ev = Evidence(static_hints=[f.to_dict() for f in static_hints(code)])
    sets = [dict(p) for p in (grid or [])]
    known = getattr(runner, "known", None)  # the grid as the optimiser already ran it
    ran = known(code, research, sets, options) if known is not None and len(sets) >= 2 else None
    probed = None
    if cfg.lookahead.enabled:  # its full run is the base run; the grid rides along
        cuts = lookahead.cut_points(len(research), cfg.lookahead.cuts)
        probed = lookahead.probe(code, research, params, runner, cuts=cuts, options=options,
                                 extra=sets if len(sets) >= 2 and ran is None else ())
    if probed is not None and probed.full is not None:
        base = probed.full
        runner.remember(code, research, params, options, base)  # type: ignore[attr-defined]
    else:
        base = runner(code, research, params, options)
    report["base"] = {"status": base.status, "error": base.error, "stats": {
        k: v for k, v in base.stats.items() if not str(k).startswith("_")}}
    if not base.ok:
        return Evaluation(Decision("needs_work", [f"base run failed: {base.error}"], 0.0),
                          ev, clean(report))
    st = base.stats
    ev.sharpe, ev.calmar = finite(metric_of(st, "Sharpe Ratio")), finite(metric_of(st, "Calmar Ratio"))
    ev.max_drawdown_pct = finite(metric_of(st, "Max. Drawdown [%]"))
    ev.return_pct = finite(metric_of(st, "Return [%]"))
    ev.trades = int(max(metric_of(st, "# Trades"), 0))
    if base.trades or not ev.trades:  # no trade list: the gate counts trades only
        ev.independent_bets = independent_bets(base.trades or [], len(research),
                                               th.needs_work.get("bet_bars", 21))

    def done() -> Evaluation:
        return Evaluation(decide(ev, th), ev, clean(report))

    if probed is not None:
        found = probed.findings
        ev.lookahead_findings = [f.to_dict() for f in found if f.severity == "fatal"]
        report["lookahead"] = {"cuts": cuts, "findings": [f.to_dict() for f in found],
                               "static_hints": ev.static_hints}
        if _killed(ev, th):
            return done()
    trial_sharpes = _search_evidence(code, research, sets, runner, cfg, options, seed, ev,
                                     report, trial_sharpes,
                                     ran or (probed.extra if probed else None))
    _count_trials(ev, report, n_trials, len(sets), other_trials, other_trials_raw)
    dsr = overfitting.deflated_sharpe(_returns(base), ev.n_trials or 1, trial_sharpes)
    ev.dsr, ev.psr = finite(dsr["dsr"]), finite(dsr["psr"])
    report["dsr"] = dsr
    alpha = benchmark.alpha_report(base, research)
    ev.alpha_psr, ev.exposure = alpha["alpha_psr"], alpha["exposure"]
    ev.buy_hold_drawdown_pct = alpha.get("buy_hold_drawdown_pct")
    report["alpha"] = alpha
    if _killed(ev, th):
        return done()
    if cfg.walk_forward.enabled and sets:
        _walk_forward(code, research, sets, runner, cfg, options, ev, report)
        if _killed(ev, th):
            return done()
    if cfg.random_data.enabled:
        rd = randomdata.random_data_check(
            code, research, params, runner, k=cfg.random_data.walks, seed=seed,
            alpha=th.kill["random_data_alpha"])
        ev.random_profitable_fraction, ev.random_p_value = rd.profitable_fraction, rd.p_value
        report["random_data"] = rd.to_dict()
        if _killed(ev, th):
            return done()
    _robustness(code, params, research, runner, base, spec, cfg, options, seed, ev, report)
    if ledger is not None and holdout_key is not None and len(split.holdout) > 1:
        ledger.read(split, **holdout_key)
        res = runner(code, holdout_frame(split), params, options)
        read_holdout(ev, report, res, split, ledger.count(str(holdout_key["dataset"])))
        out = done()
        out.holdout_read = True
        return out
    return done()


def read_holdout(ev: Evidence, report: dict[str, Any], res: Any, split: Any, reads: int) -> None:
    """Put one holdout run (on history + holdout) into the evidence and the report."""
    h = score_holdout(res, split, reads)
    ev.holdout_sharpe, ev.holdout_psr, ev.holdout_reads = h["sharpe"], h["psr"], reads
    report["holdout"] = {"status": res.status, "error": res.error, **h}


def _search_evidence(code: str, research: pd.DataFrame, sets: list[dict[str, Any]],
                     runner: Runner, cfg: RobustnessConfig, options: BacktestOptions | None,
                     seed: int, ev: Evidence, report: dict[str, Any],
                     trial_sharpes: list[float] | None,
                     ran: list[Any] | None = None) -> list[float] | None:
    """Grid runs (``ran``: already run, e.g. with the look-ahead probes) -> trial
    Sharpes, effective trials, PBO and the reality check."""
    ev.searched = len(sets) >= 2
    if not ev.searched:
        return trial_sharpes
    grid_res = ran if ran and len(ran) == len(sets) else run_many(runner, code, research, sets,
                                                                  options)
    cols = {i: equity_series(r).pct_change() for i, r in enumerate(grid_res) if r.ok}
    if len(cols) < 2:
        return trial_sharpes
    matrix = pd.DataFrame(cols).fillna(0.0).iloc[1:]
    if trial_sharpes is None:
        sd = matrix.std(ddof=1).replace(0, np.nan)
        trial_sharpes = list((matrix.mean() / sd).dropna())
    report["grid_effective_trials"] = effective_trials(matrix.to_numpy())
    if cfg.pbo.enabled and len(matrix) >= 2 * cfg.pbo.blocks:
        pbo = overfitting.pbo_cscv(matrix.to_numpy(), cfg.pbo.blocks)
        ev.pbo, ev.pbo_oos_loss = pbo.pbo, pbo.prob_oos_loss
        report["pbo"] = pbo.to_dict()
    rc = realitycheck.spa_pvalue(matrix.to_numpy(), seed=seed)
    ev.reality_check_p = rc["p_value"]
    report["reality_check"] = rc
    return trial_sharpes


def _count_trials(ev: Evidence, report: dict[str, Any], n_trials: int | None, n_grid: int,
                  other: float, other_raw: int) -> None:
    """N for the DSR: this strategy's effective trials (its grid clustered by return
    correlation, every other variant it tried counted once) + the other strategies'."""
    own_raw = max(int(n_trials or 0), n_grid, 1)
    grid_eff = float(report.get("grid_effective_trials") or 1.0)
    ev.n_trials_own = grid_eff + max(0, own_raw - max(n_grid, 1))
    ev.n_trials = max(1, math.ceil(ev.n_trials_own + max(float(other), 0.0) - 1e-9))
    ev.n_trials_raw = own_raw + max(int(other_raw), 0)
    report["trials"] = {"n_effective": ev.n_trials, "n_raw": ev.n_trials_raw,
                        "own_effective": ev.n_trials_own, "own_raw": own_raw,
                        "other_effective": other, "other_raw": other_raw}


def _walk_forward(code: str, research: pd.DataFrame, sets: list[dict[str, Any]],
                  runner: Runner, cfg: RobustnessConfig, options: BacktestOptions | None,
                  ev: Evidence, report: dict[str, Any]) -> None:
    wf = cfg.walk_forward
    test = wf.test_bars or len(research) // (wf.folds + 2)
    train = wf.train_bars or 2 * test

    def batch(ps: list[dict[str, Any]], d: pd.DataFrame) -> list[Any]:
        return run_many(runner, code, d, ps, options)

    cuts = getattr(runner, "cuts", None)  # one run per set, cut at every fold's bar

    def run_cuts(ps: list[dict[str, Any]], d: pd.DataFrame, stops: list[int]) -> list[Any]:
        return cuts(code, d, ps, stops, options)  # type: ignore[misc]

    def jobs(todo: list[tuple[pd.DataFrame, dict[str, Any]]]) -> list[Any]:
        return run_jobs(runner, code, todo, options)

    rep = walk_forward(research, sets, batch, train=train, test=test, anchored=wf.anchored,
                       metric=wf.metric, min_trades=wf.min_trades, prune_after=wf.prune_after,
                       run_cuts=run_cuts if cuts is not None else None,
                       run_jobs=jobs if getattr(runner, "jobs", None) is not None else None)
    ev.oos_efficiency = rep.oos_efficiency if rep.folds else None
    if rep.folds and rep.oos_efficiency is None:
        ev.oos_efficiency = 0.0  # in-sample winners were not even positive
    ev.wf_psr = rep.oos_psr
    report["walk_forward"] = clean(rep.to_dict())


MC_SHARES_KEPT = 5_000


def _trade_shares(base: Any) -> list[float]:
    """Each trade's PnL as a share of the equity at its entry (what it did to the
    account), not its return on the position: a trade on 10 % of the equity that gains
    50 % moves the account 5 %."""
    eq = equity_series(base)
    out = []
    for t in base.trades:
        try:
            pnl, bar = float(t["PnL"]), int(t["EntryBar"])
        except (KeyError, TypeError, ValueError):
            continue
        if len(eq) and 0 <= bar < len(eq) and eq.iloc[bar] > 0 and math.isfinite(pnl):
            out.append(pnl / float(eq.iloc[bar]))
    return out


def _robustness(code: str, params: dict[str, Any], data: pd.DataFrame, runner: Runner,
                base: Any, spec: StrategySpec | None, cfg: RobustnessConfig,
                options: BacktestOptions | None, seed: int, ev: Evidence,
                report: dict[str, Any]) -> None:
    shares = _trade_shares(base)
    if cfg.monte_carlo.enabled and shares:
        mc = montecarlo.monte_carlo(shares, paths=cfg.monte_carlo.paths,
                                    block=cfg.monte_carlo.block, seed=seed,
                                    ruin_drawdown=cfg.monte_carlo.ruin_drawdown)
        ev.prob_ruin = mc.prob_ruin
        report["monte_carlo"] = mc.to_dict()
        if len(shares) <= MC_SHARES_KEPT:  # the report's fan is redrawn from exactly these
            report["monte_carlo"]["shares"] = [round(x, 12) for x in shares]
    if cfg.regimes.enabled:
        report["regimes"] = regimes.regime_report(data, equity_series(base), base.trades,
                                                  window=cfg.regimes.window)
    opts = options or BacktestOptions(cash=100_000.0, commission=0.002)
    if cfg.costs.enabled:
        c = robustness.cost_sensitivity(code, data, params, runner, opts,
                                        multipliers=tuple(cfg.costs.multipliers),
                                        extra_spread=cfg.costs.extra_spread,
                                        min_commission=cfg.costs.min_commission)
        worst = [v["degradation"] for k, v in c.items()
                 if k.startswith("commission_x") and v["degradation"] is not None]
        ev.cost_degradation = max(worst) if worst else None
        report["costs"] = c
    if cfg.stability.enabled:
        s = robustness.param_stability(code, data, params, runner, spec=spec,
                                       chosen_value=ev.sharpe, options=options)
        ev.stability_median_ratio, ev.stability_min_ratio = s["median_ratio"], s["min_ratio"]
        report["stability"] = s
    if cfg.other_datasets:
        o = robustness.other_datasets(code, params, runner, cfg.other_datasets, options,
                                      start=data.index[0], end=data.index[-1])
        ev.other_profitable_fraction = o["profitable_fraction"]
        report["other_datasets"] = o

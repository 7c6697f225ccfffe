"""Evidence -> Decision: kill gates, needs-work gates and the composite score.

Composite score (0..100)::

    score = 100 * sum_i(w_i * c_i) / sum_i(w_i)

with components ``c_i`` in [0, 1] (weights from thresholds.yaml ``score.weights``):
``dsr`` = Deflated Sharpe Ratio; ``oos_efficiency`` = clip(walk-forward efficiency,
0, 1); ``calmar`` = Calmar / (1 + Calmar), 0 when not positive; ``stability`` =
clip(median neighbour / chosen metric, 0, 1); ``ruin`` = 1 - Monte Carlo probability
of ruin; ``trades`` = min(1, trades / target_trades). Missing evidence scores 0.

Outcome: ``kill`` when any kill gate fails (look-ahead proven, DSR, walk-forward OOS
PSR, PBO, random-data sign test, reality check over the searched grid, alpha over
buy-and-hold at the same exposure, holdout PSR); else ``needs_work`` when any
needs-work gate fails, required evidence is missing (PBO and the reality check are
required whenever a search ran), or the score is under ``approve.min_score``; else
``approve``. Gates whose evidence is missing are reported as skipped. The README's
"How rbi decides" explains each gate and its number.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from agents.research.bets import drawdown_limit_pct
from agents.research.thresholds import Thresholds, load_thresholds

__all__ = ["Decision", "Evidence", "decide", "drawdown_limit", "score"]


@dataclass
class Evidence:
    """What the checks found about one candidate (None = not measured)."""

    lookahead_findings: list[dict[str, Any]] | None = None  # fatal dynamic findings
    static_hints: list[dict[str, Any]] = field(default_factory=list)
    dsr: float | None = None
    psr: float | None = None
    n_trials: int | None = None  # effective trials on this dataset across the lab (DSR's N)
    n_trials_raw: int | None = None  # every variant tried there, correlated ones included
    n_trials_own: float | None = None  # this strategy's share of n_trials (effective)
    searched: bool | None = None  # a parameter search ran (PBO + reality check required)
    pbo: float | None = None
    pbo_oos_loss: float | None = None  # share of CSCV splits where the IS winner lost OOS
    reality_check_p: float | None = None  # Hansen SPA p-value over the searched grid
    oos_efficiency: float | None = None
    wf_psr: float | None = None  # PSR of the stitched walk-forward OOS returns
    random_profitable_fraction: float | None = None
    random_p_value: float | None = None  # sign test over the random walks
    alpha_psr: float | None = None  # PSR of returns over exposure-matched buy-and-hold
    exposure: float | None = None
    holdout_sharpe: float | None = None
    holdout_psr: float | None = None  # deflated by the dataset's holdout reads
    holdout_reads: int | None = None
    sharpe: float | None = None
    calmar: float | None = None
    max_drawdown_pct: float | None = None
    buy_hold_drawdown_pct: float | None = None  # the asset's own, on the same bars
    return_pct: float | None = None
    trades: int | None = None
    independent_bets: int | None = None  # trades weighted by months held (agents.research.bets)
    prob_ruin: float | None = None
    stability_median_ratio: float | None = None
    stability_min_ratio: float | None = None
    cost_degradation: float | None = None
    other_profitable_fraction: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evidence:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class Decision:
    outcome: str  # approve | needs_work | kill
    reasons: list[str]
    score: float
    gates: list[dict[str, Any]] = field(default_factory=list)
    components: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _f(x: Any) -> str:
    # 4 significant digits: with 3, a DSR of 0.8996 read "DSR 0.9 < 0.9"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _ok(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _val(x: float | None) -> float:
    return float(x) if x is not None and _ok(x) else 0.0


def _unit(x: float | None) -> float:
    """``x`` clipped to [0, 1]; missing or non-finite -> 0."""
    return min(max(_val(x), 0.0), 1.0)


def score(ev: Evidence, th: Thresholds) -> tuple[float, dict[str, float]]:
    """(score 0..100, {component: value in [0, 1]})."""
    calmar = _val(ev.calmar)
    trades = _val(ev.trades)
    c: dict[str, float] = {
        "dsr": _unit(ev.dsr),
        "oos_efficiency": _unit(ev.oos_efficiency),
        "calmar": calmar / (1.0 + calmar) if calmar > 0 else 0.0,
        "stability": _unit(ev.stability_median_ratio),
        "ruin": 1.0 - _unit(ev.prob_ruin) if _ok(ev.prob_ruin) else 0.0,
        "trades": min(1.0, trades / th.score["target_trades"]) if trades > 0 else 0.0,
    }
    w = th.score["weights"]
    total = sum(w.values())
    return 100.0 * sum(w.get(k, 0.0) * v for k, v in c.items()) / total, c


def _gate(gates: list[dict[str, Any]], level: str, name: str, value: Any, limit: Any,
          passed: bool | None, reason: str) -> None:
    gates.append({"level": level, "name": name, "value": value, "limit": limit,
                  "passed": passed, "reason": "" if passed is not False else reason})


def _apply(g: list[dict[str, Any]], level: str, checks: list[tuple[Any, ...]]) -> None:
    """Gate each (name, value, limit, at_least, reason); missing values are skipped.
    ``random_data`` (a p-value) fails only strictly below its alpha."""
    for name, value, limit, at_least, reason in checks:
        if not _ok(value):
            _gate(g, level, name, None, limit, None, "")
            continue
        passed = value >= limit if at_least else value <= limit
        _gate(g, level, name, value, limit, passed, reason)


def _pbo_value(ev: Evidence, k: dict[str, Any]) -> float | None:
    """The PBO, forgiven (0) when the in-sample winner still made money out of sample in
    nearly every CSCV split: a grid of variants that ALL carry a real edge has a PBO near
    0.5 (the winner's rank among equals is random), which is not overfitting."""
    if ev.pbo is None or ev.pbo_oos_loss is None:
        return ev.pbo
    return 0.0 if ev.pbo_oos_loss <= k["max_pbo_oos_loss"] else ev.pbo


def _kill_gates(ev: Evidence, k: dict[str, Any], g: list[dict[str, Any]]) -> None:
    look = ev.lookahead_findings
    _gate(g, "kill", "lookahead", len(look) if look is not None else None, 0,
          None if look is None or not k["lookahead"] else not look,
          "look-ahead: " + "; ".join(f.get("message", "") for f in (look or [])))
    checks = [
        ("dsr", ev.dsr, k["min_dsr"], True,
         f"DSR {_f(ev.dsr)} < {k['min_dsr']} after N = {ev.n_trials} effective trial(s) on "
         "this dataset: the Sharpe ratio is not significant once every variant the lab "
         "tried is accounted for"),
        ("walk_forward", ev.wf_psr, k["min_wf_psr"], True,
         f"walk-forward out-of-sample PSR {_f(ev.wf_psr)} < {k['min_wf_psr']}: the stitched "
         "test windows do not show a positive Sharpe"),
        ("pbo", _pbo_value(ev, k), k["max_pbo"], False,
         f"probability of backtest overfitting {_f(ev.pbo)} > {k['max_pbo']} and the "
         f"in-sample winner lost money out of sample in {_f(ev.pbo_oos_loss)} of the splits "
         f"(> {k['max_pbo_oos_loss']})"),
        ("random_data", ev.random_p_value, k["random_data_alpha"], True,
         f"profitable on {_f(ev.random_profitable_fraction)} of driftless random walks "
         f"(sign test p {_f(ev.random_p_value)} < {k['random_data_alpha']}): fits noise or peeks"),
        ("reality_check", ev.reality_check_p, k["max_reality_check_p"], False,
         f"reality check (Hansen SPA) over the searched grid p {_f(ev.reality_check_p)} > "
         f"{k['max_reality_check_p']}: the best variant is what searching noise finds"),
        ("alpha", ev.alpha_psr, k["min_alpha_psr"], True,
         f"alpha over buy-and-hold at the same exposure ({_f(ev.exposure)}) has PSR "
         f"{_f(ev.alpha_psr)} < {k['min_alpha_psr']}: the return is market beta"),
        ("holdout", ev.holdout_psr, k["min_holdout_psr"], True,
         "the sealed holdout does not confirm the edge"),
    ]
    _apply(g, "kill", checks)


def _trades_gate(ev: Evidence, n: dict[str, Any], g: list[dict[str, Any]]) -> None:
    """``min_trades`` independent bets and ``min_trades_floor`` whole trades (bets not
    measured: ``min_trades`` trades)."""
    need, floor = n["min_trades"], n.get("min_trades_floor", n["min_trades"])
    if not _ok(ev.trades):
        _gate(g, "needs_work", "trades", None, need, None, "")
    elif not _ok(ev.independent_bets):
        _gate(g, "needs_work", "trades", ev.trades, need, ev.trades >= need,
              f"{ev.trades} trades < {need}")
    else:  # two gates, each a number against a number (how the report shows them)
        bets = int(_val(ev.independent_bets))
        _gate(g, "needs_work", "trades", bets, need, bets >= need,
              f"{bets} independent bets (one per {n.get('bet_bars', 21)} bars held, "
              f"{ev.trades} trades) < {need}")
        _gate(g, "needs_work", "trades_floor", ev.trades, floor, _val(ev.trades) >= floor,
              f"{ev.trades} trades < {floor}")


def drawdown_limit(ev: Evidence, n: dict[str, Any]) -> float:
    """The deepest drawdown (percent, positive) the gate accepts: ``max_drawdown_pct``, or
    ``max_drawdown_vs_hold`` of buy-and-hold's own drawdown on the same bars when that
    is larger (a slow edge on a volatile asset is judged against the asset)."""
    hold = _val(ev.buy_hold_drawdown_pct) if _ok(ev.buy_hold_drawdown_pct) else None
    return drawdown_limit_pct(n["max_drawdown_pct"], n.get("max_drawdown_vs_hold", 0.0), hold)


def _needs_work_gates(ev: Evidence, n: dict[str, Any], g: list[dict[str, Any]]) -> None:
    _trades_gate(ev, n, g)
    limit = drawdown_limit(ev, n)
    checks = [
        ("max_drawdown", abs(_val(ev.max_drawdown_pct)) if _ok(ev.max_drawdown_pct) else None,
         limit, False, f"max drawdown {_f(ev.max_drawdown_pct)} % beyond {_f(limit)} % (the "
         f"larger of {n['max_drawdown_pct']} % and {n.get('max_drawdown_vs_hold', 0.0)} of "
         f"buy-and-hold's {_f(ev.buy_hold_drawdown_pct)} %)"),
        ("prob_ruin", ev.prob_ruin, n["max_prob_ruin"], False,
         f"Monte Carlo probability of ruin {_f(ev.prob_ruin)} > {n['max_prob_ruin']}"),
        ("stability_median", ev.stability_median_ratio, n["min_stability_median"], True,
         f"median neighbour keeps {_f(ev.stability_median_ratio)} of the chosen metric "
         f"(< {n['min_stability_median']}): the optimum is a spike"),
        ("stability_min", ev.stability_min_ratio, n["min_stability_min"], True,
         f"worst neighbour keeps {_f(ev.stability_min_ratio)} of the chosen metric "
         f"(< {n['min_stability_min']})"),
        ("cost_degradation", ev.cost_degradation, n["max_cost_degradation"], False,
         f"loses {_f(ev.cost_degradation)} of its return at commission x1.5 "
         f"(> {n['max_cost_degradation']})"),
        ("other_datasets", ev.other_profitable_fraction, n["min_other_datasets_profitable"],
         True, f"profitable on {_f(ev.other_profitable_fraction)} of the other datasets "
         f"(< {n['min_other_datasets_profitable']})"),
    ]
    _apply(g, "needs_work", checks)


_PRESENT = {
    "lookahead": lambda e: e.lookahead_findings is not None, "dsr": lambda e: _ok(e.dsr),
    "oos_efficiency": lambda e: _ok(e.oos_efficiency), "pbo": lambda e: _ok(e.pbo),
    "walk_forward": lambda e: _ok(e.wf_psr), "alpha": lambda e: _ok(e.alpha_psr),
    "reality_check": lambda e: _ok(e.reality_check_p),
    "random_data": lambda e: _ok(e.random_p_value),
    "holdout": lambda e: _ok(e.holdout_psr), "monte_carlo": lambda e: _ok(e.prob_ruin),
    "stability": lambda e: _ok(e.stability_median_ratio),
    "costs": lambda e: _ok(e.cost_degradation),
    "other_datasets": lambda e: _ok(e.other_profitable_fraction),
    "trades": lambda e: _ok(e.trades),
}


def decide(evidence: Evidence, thresholds: Thresholds | None = None) -> Decision:
    """Apply the gates and the score (see module doc)."""
    th = thresholds or load_thresholds()
    gates: list[dict[str, Any]] = []
    _kill_gates(evidence, th.kill, gates)
    _needs_work_gates(evidence, th.needs_work, gates)
    value, comps = score(evidence, th)
    kills = [g["reason"] for g in gates if g["level"] == "kill" and g["passed"] is False]
    if kills:
        return Decision("kill", kills, value, gates, comps)
    reasons = [g["reason"] for g in gates if g["passed"] is False]
    need = list(th.approve["require"])
    if evidence.searched:  # a search picked the parameters: its overfitting is measured
        need += [k for k in ("pbo", "reality_check") if k not in need]
    missing = [k for k in need if not _PRESENT[k](evidence)]
    if missing:
        reasons.append(f"missing evidence: {', '.join(missing)}")
    if value < th.approve["min_score"]:
        reasons.append(f"score {value:.1f} < {th.approve['min_score']}")
    if reasons:
        return Decision("needs_work", reasons, value, gates, comps)
    return Decision("approve", [f"all gates passed, score {value:.1f}"], value, gates, comps)

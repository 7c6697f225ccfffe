"""Robustness checks that re-run the strategy: costs, other datasets, parameter
neighbourhood. (Monte Carlo: :mod:`montecarlo`; regimes: :mod:`regimes`.)

* :func:`cost_sensitivity`: commission x1.25 and x1.5 (from at least
  ``min_commission`` so a zero-cost backtest is still stressed) and an added spread;
  each scenario's return/Sharpe and its degradation relative to the base run: the share
  of the LOG growth ``ln(1 + return)`` lost, i.e. of the per-trade edge. Compounded
  returns exaggerate it: 400 trades netting 0.56 % each grow 9.3x (+830 %), at 0.36 %
  4.2x (+320 %): 61 % of the return lost for 36 % of the edge.
* :func:`other_datasets`: the same code and parameters on other named datasets, cut to
  the research dates (``start`` .. ``end``) so no other dataset shows the holdout period.
* :func:`param_stability`: one-at-a-time neighbours (one step either side, within the
  spec's range and constraints); passes when the median neighbour keeps at least
  ``median_fraction`` and the worst at least ``min_fraction`` of the chosen metric.
  A parameter the code only compares for equality (``weekday() == self.day``,
  ``month in (self.m, ...)``) is a category, not a magnitude: Thursday is not "near"
  Friday, so it has no neighbours (:func:`categorical_params`) and a calendar edge is
  not called a spike because the other weekdays have none.
"""

from __future__ import annotations

import ast
import math
import statistics
from dataclasses import replace
from typing import Any

import pandas as pd

from agents.numbers import metric_of
from agents.research.runners import Runner, run_many
from agents.spec import Parameter, SpecError, StrategySpec
from executor.types import BacktestOptions

__all__ = ["categorical_params", "cost_sensitivity", "neighbours", "other_datasets",
           "param_stability"]


def _summary(res: Any) -> dict[str, Any]:
    s = res.stats if res.ok else {}
    keys = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades", "Calmar Ratio")
    out = {k: (v if math.isfinite(v := metric_of(s, k)) else None) for k in keys}
    out["status"] = res.status
    return out


def _growth(value: float, metric: str) -> float:
    """Log growth of a compounded ``Return [%]`` (a total loss counts as -13.8, ln 1e-6);
    any other metric as it is."""
    if metric != "Return [%]":
        return value
    return math.log(max(1.0 + value / 100.0, 1e-6))


def cost_sensitivity(code: str, data: pd.DataFrame, params: dict[str, Any], runner: Runner,
                     options: BacktestOptions, *, multipliers: tuple[float, ...] = (1.25, 1.5),
                     extra_spread: float = 0.0005, min_commission: float = 0.001,
                     metric: str = "Return [%]") -> dict[str, Any]:
    """{scenario: summary + degradation} for base, commission x m and +spread."""
    base_c = float(options.commission) if isinstance(options.commission, (int, float)) else 0.0
    scen = {"base": options}
    for m in multipliers:
        scen[f"commission_x{m:g}"] = replace(options, commission=max(base_c, min_commission) * m)
    if extra_spread:
        scen[f"spread_+{extra_spread:g}"] = replace(options, spread=options.spread + extra_spread)
    out: dict[str, Any] = {}
    base_val = None
    for name, opts in scen.items():
        row = _summary(runner(code, data, params, opts))
        val = row.get(metric)
        if name == "base":
            base_val = val
        row["degradation"] = (None if val is None or base_val is None or base_val <= 0
                              else 1.0 - _growth(val, metric) / _growth(base_val, metric))
        out[name] = row
    return out


def other_datasets(code: str, params: dict[str, Any], runner: Runner, names: list[str],
                   options: BacktestOptions | None = None, *, start: Any = None,
                   end: Any = None) -> dict[str, Any]:
    """{dataset: summary} plus ``profitable_fraction`` over the datasets that ran, each
    cut to ``start`` .. ``end`` (the research dates; a dataset with under 2 bars there
    is reported as ``no_data`` and not counted)."""
    from executor import load_dataset

    out: dict[str, Any] = {}
    for name in names:
        ds = load_dataset(name)
        df = ds.df
        if start is not None:
            df = df[df.index >= pd.Timestamp(start)]
        if end is not None:
            df = df[df.index <= pd.Timestamp(end)]
        if len(df) < 2:
            out[ds.name] = {"status": "no_data", "Return [%]": None}
            continue
        out[ds.name] = _summary(runner(code, df, params, options))
    rets = [r["Return [%]"] for r in out.values() if r.get("Return [%]") is not None]
    return {"datasets": out,
            "profitable_fraction": (sum(r > 0 for r in rets) / len(rets)) if rets else None}


def _step(p: Parameter, v: float) -> float:
    if p.step:
        return float(p.step)
    if p.type == "int":
        return max(1.0, round(abs(v) * 0.1))
    return abs(v) * 0.1 or 0.1


_EQUALITY = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)


def _param_name(node: ast.AST) -> str | None:
    """``self.NAME`` -> NAME (a strategy parameter read in the code)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "self":
        return node.attr
    return None


def categorical_params(code: str) -> set[str]:
    """Parameters the code compares only with ==, !=, in, not in (never <, >, used in
    arithmetic or passed to an indicator): categories whose values have no order."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    equal: set[str] = set()
    marked: set[int] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and all(isinstance(o, _EQUALITY)
                                                      for o in node.ops)):
            continue
        for side in (node.left, *node.comparators):
            elts = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else []
            for cand in (side, *elts):
                if (name := _param_name(cand)) is not None:
                    equal.add(name)
                    marked.add(id(cand))
    other = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
             and _param_name(n) is not None and id(n) not in marked}
    return equal - other


def neighbours(spec: StrategySpec | None, params: dict[str, Any],
               categorical: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """One-at-a-time +-1 step neighbours of ``params`` inside the spec's ranges/constraints
    (without a spec: +-10 %, at least 1 for ints, of every numeric parameter); the
    ``categorical`` parameters have none."""
    specs = {p.name: p for p in spec.parameters} if spec else {}
    out: list[dict[str, Any]] = []
    for name, v in sorted(params.items()):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or name in categorical:
            continue
        p = specs.get(name) or Parameter(name, v, type="int" if isinstance(v, int) else "float")
        if p.choices:
            ch = sorted(p.choices)
            i = ch.index(v) if v in ch else min(range(len(ch)), key=lambda j: abs(ch[j] - v))
            cands: list[float] = [ch[j] for j in (i - 1, i + 1) if 0 <= j < len(ch)]
        else:
            st = _step(p, float(v))
            cands = [v - st, v + st]
            cands = [c for c in cands if (p.low is None or c >= p.low)
                     and (p.high is None or c <= p.high)]
        for c in cands:
            val: Any = int(round(c)) if p.type == "int" else round(float(c), 10)
            if val == v:
                continue
            d = {**params, name: val}
            try:
                if spec is not None and spec.violated_constraints(d):
                    continue
            except SpecError:
                continue
            out.append(d)
    return out


def param_stability(code: str, data: pd.DataFrame, params: dict[str, Any], runner: Runner,
                    *, spec: StrategySpec | None = None, metric: str = "Sharpe Ratio",
                    chosen_value: float | None = None, median_fraction: float = 0.5,
                    min_fraction: float = 0.0, options: BacktestOptions | None = None
                    ) -> dict[str, Any]:
    """Evaluate the neighbourhood; ``passed`` False when it collapses (see module doc)."""
    cats = categorical_params(code) & set(params)
    sets = neighbours(spec, params, cats)
    if not sets and cats:
        return {"metric": metric, "chosen": chosen_value, "neighbours": [],
                "categorical": sorted(cats), "median_ratio": None, "min_ratio": None,
                "passed": None, "reason": f"{', '.join(sorted(cats))}: categories (compared "
                "with ==), no nearby values to test"}
    if chosen_value is None:
        chosen_value = metric_of(runner(code, data, params, options).stats, metric)
    results = run_many(runner, code, data, sets, options) if sets else []
    vals = [metric_of(r.stats if r.ok else {}, metric) for r in results]
    finite = [v if math.isfinite(v) else 0.0 for v in vals]
    out: dict[str, Any] = {"metric": metric, "chosen": chosen_value, "neighbours": [
        {"params": p, "value": v if math.isfinite(v) else None} for p, v in zip(sets, vals, strict=True)]}
    if not finite or not math.isfinite(chosen_value) or chosen_value <= 0:
        out.update(median_ratio=None, min_ratio=None, passed=False,
                   reason="no neighbours" if not finite else "chosen value is not positive")
        return out
    med, lo = statistics.median(finite) / chosen_value, min(finite) / chosen_value
    passed = med >= median_fraction and lo >= min_fraction
    out.update(median_ratio=med, min_ratio=lo, passed=passed,
               reason="" if passed else (
                   f"neighbourhood collapses: median neighbour {med:.0%} / worst {lo:.0%} of "
                   f"the chosen {metric} (needs {median_fraction:.0%} / {min_fraction:.0%})"))
    return out

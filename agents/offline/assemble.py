"""Blueprint -> spec: filters, the exits an idea states, risk levels, and ``build``.

The entry families live in :mod:`agents.offline.blocks`; :func:`build` runs one, then
adds what the blueprint names and nothing else, and prunes parameters no rule reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.offline.blocks import ENTRIES, HLC, Builder
from agents.spec import Level, Risk, Rule, StrategySpec, constraint_names, parse_ref


# ---- filters ---------------------------------------------------------------------------
def trend_filter(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("trend_period", 200, 50, 300, 25)
    fn = bp.get("trend_ma", "SMA")
    b.ind("trend_ma", fn, {"timeperiod": period})
    b.pair("filters", f"trade with the trend: close above the long {fn}", "gt", "Close",
           "trend_ma", ("lt", "Close", "trend_ma"), d)


def adx_filter(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("adx_period", 14, 7, 30, 1)
    level = b.p("adx_min", 20, 10, 40, 5)
    b.ind("adx", "ADX", {"timeperiod": period}, HLC)
    b.rule("filters", "trend strength: ADX above its minimum", "gt", "adx", level, "any")


def volatility_filter(b: Builder, d: str, bp: dict[str, Any]) -> None:
    b.atr()
    window = b.p("vol_window", 100, 50, 250, 25)
    floor = b.p("vol_min_rank", 0.2, 0.0, 0.6, 0.1, "float")
    b.ind("atr_rank", "PCTRANK", {"window": window}, ["atr"])
    b.rule("filters", "volatility: ATR percentile rank above its floor", "gt", "atr_rank",
           floor, "any")


FILTERS: dict[str, Callable[[Builder, str, dict[str, Any]], None]] = {
    "trend": trend_filter, "adx": adx_filter, "volatility": volatility_filter,
}

STOPS = ("atr", "percent")
EXITS = ("signal", "stops", "trailing", "time")


def _level(b: Builder, kind: str | None, what: str) -> Level | None:
    if kind is None:
        return None
    defaults = {"stop": (2.0, 5.0), "target": (3.0, 10.0), "trailing": (3.0, 8.0)}[what]
    if kind == "atr":
        b.atr()
        return Level("atr", b.p(f"{what}_atr", defaults[0], 0.5, 6.0, 0.5, "float"))
    return Level("percent", b.p(f"{what}_pct", defaults[1], 1.0, 25.0, 1.0, "float"))


def exit_ma(b: Builder, d: str, bp: dict[str, Any]) -> None:
    """The idea's own exit: close back above (short: below) a short moving average."""
    fn = bp["exit_ma"]
    period = b.p("exit_ma_period", 5, 3, 50, 1)
    b.ind("exit_ma", fn, {"timeperiod": period})
    b.pair("exit", f"close above the exit {fn}", "gt", "Close", "exit_ma",
           ("lt", "Close", "exit_ma"), d)


def exit_prev(b: Builder, d: str, bp: dict[str, Any]) -> None:
    """The idea's own exit against the prior bar: "close > yesterday's high", "first up
    close" (short: below yesterday's low / a down close)."""
    mine, mirror = {"high": ("High[1]", "Low[1]"), "low": ("Low[1]", "High[1]")}.get(
        bp["exit_prev"], ("Close[1]", "Close[1]"))
    b.pair("exit", f"close beyond the prior bar's {bp['exit_prev']}", "gt", "Close", mine,
           ("lt", "Close", mirror), d)


def build(bp: dict[str, Any], *, name: str, hypothesis: str, datasets: list[str],
          source_idea_hash: str = "", timeframe: str = "1d") -> StrategySpec:
    """Blueprint keys: entry, filters[], exit_signal, exit_ma, stop, target, trailing
    (None/'atr'/'percent'), time_exit, direction, entry_mode, ma/mom/macd_line/trend_ma
    variants, overrides {param: value}."""
    d = bp.get("direction", "long")
    b = Builder(overrides=dict(bp.get("overrides") or {}))
    ENTRIES[bp["entry"]](b, d, bp)
    b.reconcile()
    if not bp.get("exit_signal", True):
        b.exit.clear()
    if bp.get("exit_ma"):
        exit_ma(b, d, bp)
    if bp.get("exit_prev"):
        exit_prev(b, d, bp)
    for f in bp.get("filters", []):
        FILTERS[f](b, d, bp)
    risk = Risk(stop=_level(b, bp.get("stop"), "stop"),
                target=_level(b, bp.get("target"), "target"),
                trailing=_level(b, bp.get("trailing"), "trailing"), size=bp.get("size", 0.95))
    needs_time = bp.get("time_exit") or not (b.exit or risk.stop or risk.target or risk.trailing)
    if needs_time and not any(r.kind == "time" for r in b.exit):
        bars = b.p("max_bars", 20, 5, 60, 5)
        b.exit.append(Rule("time exit: close after max_bars bars", "time", {"bars": bars},
                           "any"))
    spec = StrategySpec(
        name=name, hypothesis=hypothesis, indicators=b.indicators, entry=b.entry,
        exit=b.exit, filters=b.filters, risk=risk, parameters=b.parameters,
        constraints=b.constraints, timeframe=timeframe, datasets=list(datasets), direction=d,
        source_idea_hash=source_idea_hash, blueprint=dict(bp),
    )
    return prune(spec).check()


def prune(spec: StrategySpec) -> StrategySpec:
    """Drop parameters nothing reads (e.g. the exit level of an exit the idea replaced)
    and the constraints that name them: the optimiser searches only what trades."""
    refs: list[Any] = [v for i in spec.indicators for v in i.params.values()]
    refs += [v for g in (spec.entry, spec.exit, spec.filters) for r in g for v in r.args.values()]
    refs += [lv.value for lv in (spec.risk.stop, spec.risk.target, spec.risk.trailing) if lv]
    used = {parse_ref(ref)[0] for ref in refs if isinstance(ref, str)}
    spec.parameters = [p for p in spec.parameters if p.name in used]
    names = {p.name for p in spec.parameters}
    spec.constraints = [c for c in spec.constraints if constraint_names(c) <= names]
    return spec

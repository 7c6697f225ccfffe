"""The grammar's building blocks: entry families, filters and exits.

A *blueprint* (plain dict, stored in ``spec.blueprint``) names the blocks; :func:`build`
turns it into a full :class:`StrategySpec` with indicators, rules, parameters (defaults
and optimiser ranges) and constraints. Mutations edit the blueprint and rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.spec import (
    Indicator,
    Level,
    Parameter,
    Risk,
    Rule,
    StrategySpec,
    constraint_names,
    parse_ref,
)

HLC = ["High", "Low", "Close"]
# the smallest value each indicator accepts (talib: most look-backs >= 2)
FLOORS = {"atr_period": 1, "fast_period": 2, "slow_period": 3, "rsi_period": 2, "bb_period": 2,
          "bb_dev": 0.1, "macd_fast": 2, "macd_slow": 3, "macd_signal": 1, "dc_period": 2,
          "dc_exit_period": 2, "mom_period": 1, "stoch_k": 1, "stoch_d": 1, "cci_period": 2,
          "dmi_period": 2, "trend_period": 2, "adx_period": 2, "max_bars": 1,
          "exit_ma_period": 2, "gap_pct": 0.01}


@dataclass
class Builder:
    indicators: list[Indicator] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    entry: list[Rule] = field(default_factory=list)
    exit: list[Rule] = field(default_factory=list)
    filters: list[Rule] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    overrides: dict[str, float] = field(default_factory=dict)

    def p(self, name: str, default: float, low: float, high: float, step: float,
          typ: str = "int") -> str:
        """A parameter; a value the idea stated is its default and the range grows to
        hold it (only FLOORS, what the indicator accepts at all, is enforced)."""
        if not any(x.name == name for x in self.parameters):
            val = max(self.overrides.get(name, default), FLOORS.get(name, -1e18))
            low, high = min(low, val), max(high, val)
            if typ == "int":
                val, low, high, step = int(round(val)), int(low), int(high), int(step)
            self.parameters.append(Parameter(name, val, low, high, step, None, typ))  # type: ignore[arg-type]
        return name

    def ind(self, name: str, function: str, params: dict[str, Any],
            inputs: list[str] | None = None, outputs: list[str] | None = None) -> str:
        if not any(i.name == name for i in self.indicators):
            self.indicators.append(Indicator(name, function, params, inputs or ["Close"],
                                             outputs or []))
        return name

    def atr(self) -> str:
        return self.ind("atr", "ATR", {"timeperiod": self.p("atr_period", 14, 7, 30, 1)}, HLC)

    def rule(self, group: str, text: str, kind: str, a: Any, b: Any, side: str) -> None:
        getattr(self, group).append(Rule(text, kind, {"a": a, "b": b}, side))

    def pair(self, group: str, text: str, kind: str, a: Any, b: Any,
             mirror: tuple[str, Any, Any] | None, direction: str) -> None:
        """Add a long rule and, for short/both, its mirror ``(kind, a, b)``."""
        if direction in ("long", "both"):
            self.rule(group, text, kind, a, b, "long")
        if direction in ("short", "both") and mirror is not None:
            self.rule(group, f"(short) {text}", mirror[0], mirror[1], mirror[2], "short")


# ---- entry families: each adds entry rules and its natural exit ("signal") rules ------
def ma_cross(b: Builder, d: str, bp: dict[str, Any]) -> None:
    fn = bp.get("ma", "SMA")
    fast = b.p("fast_period", 20, 5, 50, 5)
    slow = b.p("slow_period", 50, 20, 200, 10)
    b.constraints.append("fast_period < slow_period")
    b.ind("fast_ma", fn, {"timeperiod": fast})
    b.ind("slow_ma", fn, {"timeperiod": slow})
    b.pair("entry", f"fast {fn} crosses above slow {fn}", "cross_above", "fast_ma", "slow_ma",
           ("cross_below", "fast_ma", "slow_ma"), d)
    b.pair("exit", f"fast {fn} crosses below slow {fn}", "cross_below", "fast_ma", "slow_ma",
           ("cross_above", "fast_ma", "slow_ma"), d)


def _zone_entry(b: Builder, d: str, bp: dict[str, Any], label: str, ref: str, low: str,
                high: str) -> None:
    """Oscillator entry: ``cross`` back out of the zone (default) or ``level`` in it."""
    if bp.get("entry_mode") == "level":
        b.pair("entry", f"{label} is below its oversold level", "lt", ref, low,
               ("gt", ref, high), d)
    else:
        b.pair("entry", f"{label} crosses back above its oversold level", "cross_above", ref,
               low, ("cross_below", ref, high), d)


def rsi_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("rsi_period", 14, 2, 30, 1)
    low = b.p("rsi_low", 30, 10, 45, 5)
    high = b.p("rsi_high", 70, 55, 90, 5)
    b.constraints.append("rsi_low < rsi_high")
    b.ind("rsi", "RSI", {"timeperiod": period})
    _zone_entry(b, d, bp, "RSI", "rsi", low, high)
    b.pair("exit", "RSI reaches the overbought level", "gt", "rsi", high,
           ("lt", "rsi", low), d)


def _bbands(b: Builder) -> None:
    period = b.p("bb_period", 20, 10, 50, 5)
    dev = b.p("bb_dev", 2.0, 1.0, 3.0, 0.25, "float")
    b.ind("bb", "BBANDS", {"timeperiod": period, "nbdevup": dev, "nbdevdn": dev},
          outputs=["upper", "middle", "lower"])


def bb_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    _bbands(b)
    b.pair("entry", "close touches the lower Bollinger band", "lt", "Close", "bb.lower",
           ("gt", "Close", "bb.upper"), d)
    if bp.get("exit_band") == "upper":
        b.pair("exit", "close reaches the opposite band", "gt", "Close", "bb.upper",
               ("lt", "Close", "bb.lower"), d)
        return
    b.pair("exit", "close reverts to the middle band", "gt", "Close", "bb.middle",
           ("lt", "Close", "bb.middle"), d)


def bb_breakout(b: Builder, d: str, bp: dict[str, Any]) -> None:
    _bbands(b)
    b.pair("entry", "close breaks out above the upper Bollinger band", "cross_above", "Close",
           "bb.upper", ("cross_below", "Close", "bb.lower"), d)
    b.pair("exit", "close falls back below the middle band", "lt", "Close", "bb.middle",
           ("gt", "Close", "bb.middle"), d)


def macd_cross(b: Builder, d: str, bp: dict[str, Any]) -> None:
    fast = b.p("macd_fast", 12, 5, 20, 1)
    slow = b.p("macd_slow", 26, 20, 50, 2)
    sig = b.p("macd_signal", 9, 5, 15, 1)
    b.constraints.append("macd_fast < macd_slow")
    b.ind("macd", "MACD", {"fastperiod": fast, "slowperiod": slow, "signalperiod": sig},
          outputs=["macd", "signal", "hist"])
    if bp.get("macd_line") == "hist":
        b.pair("entry", "MACD histogram flips above zero", "cross_above", "macd.hist", 0,
               ("cross_below", "macd.hist", 0), d)
        b.pair("exit", "MACD histogram flips below zero", "cross_below", "macd.hist", 0,
               ("cross_above", "macd.hist", 0), d)
        return
    b.pair("entry", "MACD line crosses above its signal line", "cross_above", "macd.macd",
           "macd.signal", ("cross_below", "macd.macd", "macd.signal"), d)
    b.pair("exit", "MACD line crosses below its signal line", "cross_below", "macd.macd",
           "macd.signal", ("cross_above", "macd.macd", "macd.signal"), d)


def donchian_breakout(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("dc_period", 20, 10, 100, 5)
    exit_period = b.p("dc_exit_period", 10, 5, 50, 5)
    b.constraints.append("dc_exit_period < dc_period")
    b.ind("dc_high", "MAX", {"timeperiod": period}, ["High"])
    b.ind("dc_low", "MIN", {"timeperiod": period}, ["Low"])
    b.ind("exit_low", "MIN", {"timeperiod": exit_period}, ["Low"])
    b.ind("exit_high", "MAX", {"timeperiod": exit_period}, ["High"])
    b.pair("entry", "close breaks above the prior Donchian high", "gt", "Close", "dc_high[1]",
           ("lt", "Close", "dc_low[1]"), d)
    b.pair("exit", "close breaks below the shorter exit channel", "lt", "Close",
           "exit_low[1]", ("gt", "Close", "exit_high[1]"), d)


def roc_momentum(b: Builder, d: str, bp: dict[str, Any]) -> None:
    fn = bp.get("mom", "ROC")
    period = b.p("mom_period", 10, 5, 60, 5)
    b.ind("mom", fn, {"timeperiod": period})
    b.pair("entry", f"{fn} momentum turns positive", "cross_above", "mom", 0,
           ("cross_below", "mom", 0), d)
    b.pair("exit", f"{fn} momentum turns negative", "cross_below", "mom", 0,
           ("cross_above", "mom", 0), d)


def stoch_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    k = b.p("stoch_k", 14, 5, 30, 1)
    dd = b.p("stoch_d", 3, 2, 10, 1)
    low = b.p("stoch_low", 20, 5, 40, 5)
    high = b.p("stoch_high", 80, 60, 95, 5)
    b.constraints.append("stoch_low < stoch_high")
    b.ind("stoch", "STOCH", {"fastk_period": k, "slowk_period": dd, "slowd_period": dd},
          HLC, ["slowk", "slowd"])
    _zone_entry(b, d, bp, "stochastic %K", "stoch.slowk", low, high)
    b.pair("exit", "stochastic %K reaches overbought", "gt", "stoch.slowk", high,
           ("lt", "stoch.slowk", low), d)


def cci_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("cci_period", 20, 10, 40, 2)
    low = b.p("cci_low", -100, -250, -50, 25)
    high = b.p("cci_high", 100, 50, 250, 25)
    b.ind("cci", "CCI", {"timeperiod": period}, HLC)
    _zone_entry(b, d, bp, "CCI", "cci", low, high)
    b.pair("exit", "CCI reaches its upper level", "gt", "cci", high, ("lt", "cci", low), d)


def dmi_trend(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("dmi_period", 14, 7, 30, 1)
    b.ind("plus_di", "PLUS_DI", {"timeperiod": period}, HLC)
    b.ind("minus_di", "MINUS_DI", {"timeperiod": period}, HLC)
    b.pair("entry", "+DI crosses above -DI", "cross_above", "plus_di", "minus_di",
           ("cross_below", "plus_di", "minus_di"), d)
    b.pair("exit", "+DI crosses below -DI", "cross_below", "plus_di", "minus_di",
           ("cross_above", "plus_di", "minus_di"), d)


def gap_fade(b: Builder, d: str, bp: dict[str, Any]) -> None:
    """Trade against an opening gap: buy gaps down, short gaps up; out after max_bars."""
    size = b.p("gap_pct", 2.0, 0.5, 5.0, 0.5, "float")
    b.ind("gap_up", "GAP", {"sign": 1}, ["Open", "Close"])
    b.ind("gap_down", "GAP", {"sign": -1}, ["Open", "Close"])
    b.pair("entry", "the bar opened gap_pct % below the prior close (gap down)", "gt",
           "gap_down", size, ("gt", "gap_up", size), d)
    bars = b.p("max_bars", 1, 1, 10, 1)
    b.exit.append(Rule("close the fade after max_bars bars", "time", {"bars": bars}, "any"))


ENTRIES: dict[str, Callable[[Builder, str, dict[str, Any]], None]] = {
    "ma_cross": ma_cross, "rsi_reversion": rsi_reversion, "bb_reversion": bb_reversion,
    "bb_breakout": bb_breakout, "macd_cross": macd_cross,
    "donchian_breakout": donchian_breakout, "roc_momentum": roc_momentum,
    "stoch_reversion": stoch_reversion, "cci_reversion": cci_reversion,
    "dmi_trend": dmi_trend, "gap_fade": gap_fade,
}


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


def build(bp: dict[str, Any], *, name: str, hypothesis: str, datasets: list[str],
          source_idea_hash: str = "", timeframe: str = "1d") -> StrategySpec:
    """Blueprint keys: entry, filters[], exit_signal, exit_ma, stop, target, trailing
    (None/'atr'/'percent'), time_exit, direction, entry_mode, ma/mom/macd_line/trend_ma
    variants, overrides {param: value}."""
    d = bp.get("direction", "long")
    b = Builder(overrides=dict(bp.get("overrides") or {}))
    ENTRIES[bp["entry"]](b, d, bp)
    if not bp.get("exit_signal", True):
        b.exit.clear()
    if bp.get("exit_ma"):
        exit_ma(b, d, bp)
    for f in bp.get("filters", []):
        FILTERS[f](b, d, bp)
    risk = Risk(stop=_level(b, bp.get("stop"), "stop"),
                target=_level(b, bp.get("target"), "target"),
                trailing=_level(b, bp.get("trailing"), "trailing"))
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

"""The grammar's building blocks: entry families, filters and exits.

A *blueprint* (plain dict, stored in ``spec.blueprint``) names the blocks; :func:`build`
turns it into a full :class:`StrategySpec` with indicators, rules, parameters (defaults
and optimiser ranges) and constraints. Mutations edit the blueprint and rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.spec import Indicator, Level, Parameter, Risk, Rule, StrategySpec

HLC = ["High", "Low", "Close"]


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
        if not any(x.name == name for x in self.parameters):
            val = self.overrides.get(name, default)
            val = min(max(val, low), high)
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


def rsi_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("rsi_period", 14, 2, 30, 1)
    low = b.p("rsi_low", 30, 10, 45, 5)
    high = b.p("rsi_high", 70, 55, 90, 5)
    b.constraints.append("rsi_low < rsi_high")
    b.ind("rsi", "RSI", {"timeperiod": period})
    b.pair("entry", "RSI crosses back above the oversold level", "cross_above", "rsi", low,
           ("cross_below", "rsi", high), d)
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
    b.pair("entry", "stochastic %K crosses up out of oversold", "cross_above", "stoch.slowk",
           low, ("cross_below", "stoch.slowk", high), d)
    b.pair("exit", "stochastic %K reaches overbought", "gt", "stoch.slowk", high,
           ("lt", "stoch.slowk", low), d)


def cci_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("cci_period", 20, 10, 40, 2)
    low = b.p("cci_low", -100, -250, -50, 25)
    high = b.p("cci_high", 100, 50, 250, 25)
    b.ind("cci", "CCI", {"timeperiod": period}, HLC)
    b.pair("entry", "CCI crosses back above its lower level", "cross_above", "cci", low,
           ("cross_below", "cci", high), d)
    b.pair("exit", "CCI reaches its upper level", "gt", "cci", high, ("lt", "cci", low), d)


def dmi_trend(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("dmi_period", 14, 7, 30, 1)
    b.ind("plus_di", "PLUS_DI", {"timeperiod": period}, HLC)
    b.ind("minus_di", "MINUS_DI", {"timeperiod": period}, HLC)
    b.pair("entry", "+DI crosses above -DI", "cross_above", "plus_di", "minus_di",
           ("cross_below", "plus_di", "minus_di"), d)
    b.pair("exit", "+DI crosses below -DI", "cross_below", "plus_di", "minus_di",
           ("cross_above", "plus_di", "minus_di"), d)


ENTRIES: dict[str, Callable[[Builder, str, dict[str, Any]], None]] = {
    "ma_cross": ma_cross, "rsi_reversion": rsi_reversion, "bb_reversion": bb_reversion,
    "bb_breakout": bb_breakout, "macd_cross": macd_cross,
    "donchian_breakout": donchian_breakout, "roc_momentum": roc_momentum,
    "stoch_reversion": stoch_reversion, "cci_reversion": cci_reversion,
    "dmi_trend": dmi_trend,
}


# ---- filters ---------------------------------------------------------------------------
def trend_filter(b: Builder, d: str) -> None:
    period = b.p("trend_period", 200, 50, 300, 25)
    b.ind("trend_ma", "SMA", {"timeperiod": period})
    b.pair("filters", "trade with the trend: close above the long SMA", "gt", "Close",
           "trend_ma", ("lt", "Close", "trend_ma"), d)


def adx_filter(b: Builder, d: str) -> None:
    period = b.p("adx_period", 14, 7, 30, 1)
    level = b.p("adx_min", 20, 10, 40, 5)
    b.ind("adx", "ADX", {"timeperiod": period}, HLC)
    b.rule("filters", "trend strength: ADX above its minimum", "gt", "adx", level, "any")


def volatility_filter(b: Builder, d: str) -> None:
    b.atr()
    window = b.p("vol_window", 100, 50, 250, 25)
    floor = b.p("vol_min_rank", 0.2, 0.0, 0.6, 0.1, "float")
    b.ind("atr_rank", "PCTRANK", {"window": window}, ["atr"])
    b.rule("filters", "volatility: ATR percentile rank above its floor", "gt", "atr_rank",
           floor, "any")


FILTERS: dict[str, Callable[[Builder, str], None]] = {
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


def build(bp: dict[str, Any], *, name: str, hypothesis: str, datasets: list[str],
          source_idea_hash: str = "") -> StrategySpec:
    """Blueprint keys: entry, filters[], exit_signal, stop, target, trailing (None/'atr'/
    'percent'), time_exit, direction, ma/mom variants, overrides {param: value}."""
    d = bp.get("direction", "long")
    b = Builder(overrides=dict(bp.get("overrides") or {}))
    ENTRIES[bp["entry"]](b, d, bp)
    if not bp.get("exit_signal", True):
        b.exit.clear()
    for f in bp.get("filters", []):
        FILTERS[f](b, d)
    risk = Risk(stop=_level(b, bp.get("stop"), "stop"),
                target=_level(b, bp.get("target"), "target"),
                trailing=_level(b, bp.get("trailing"), "trailing"))
    if bp.get("time_exit") or not (b.exit or risk.stop or risk.target or risk.trailing):
        bars = b.p("max_bars", 20, 5, 60, 5)
        b.exit.append(Rule("time exit: close after max_bars bars", "time", {"bars": bars},
                           "any"))
    spec = StrategySpec(
        name=name, hypothesis=hypothesis, indicators=b.indicators, entry=b.entry,
        exit=b.exit, filters=b.filters, risk=risk, parameters=b.parameters,
        constraints=b.constraints, datasets=list(datasets), direction=d,
        source_idea_hash=source_idea_hash, blueprint=dict(bp),
    )
    return spec.check()

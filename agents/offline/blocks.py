"""The grammar's building blocks: the entry families (filters and exits: assemble.py).

A *blueprint* (plain dict, stored in ``spec.blueprint``) names the blocks;
:func:`agents.offline.assemble.build` turns it into a full :class:`StrategySpec` with
indicators, rules, parameters (defaults and optimiser ranges) and constraints. Mutations
edit the blueprint and rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.spec import (
    Indicator,
    Parameter,
    Rule,
)

HLC = ["High", "Low", "Close"]
# the smallest value each indicator accepts (talib: most look-backs >= 2)
FLOORS = {"atr_period": 1, "fast_period": 2, "slow_period": 3, "rsi_period": 2, "bb_period": 2,
          "bb_dev": 0.1, "macd_fast": 2, "macd_slow": 3, "macd_signal": 1, "dc_period": 2,
          "dc_exit_period": 2, "mom_period": 1, "stoch_k": 1, "stoch_d": 1, "cci_period": 2,
          "dmi_period": 2, "trend_period": 2, "adx_period": 2, "max_bars": 1,
          "exit_ma_period": 2, "gap_pct": 0.01, "stop_pct": 0.1, "target_pct": 0.1,
          "trailing_pct": 0.1, "willr_period": 2, "sar_step": 0.001, "sar_max": 0.002, "stop_atr": 0.1, "target_atr": 0.1, "trailing_atr": 0.1}


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

    def reconcile(self) -> None:
        """Make ``a < b`` constraints hold: an unstated side moves (half / double the
        stated one); when the idea stated both and they disagree, the idea wins and the
        constraint goes."""
        by_name = {p.name: p for p in self.parameters}
        kept = []
        for expr in self.constraints:
            a, b = (by_name.get(x.strip()) for x in expr.split("<"))
            if a is None or b is None or a.default < b.default:
                kept.append(expr)
                continue
            if a.name not in self.overrides:
                _move(a, b.default / 2 if b.default > 0 else b.default - abs(a.default) - 1)
            elif b.name not in self.overrides:
                _move(b, a.default * 2 if a.default > 0 else a.default + abs(b.default) + 1)
            if a.default < b.default:
                kept.append(expr)
        self.constraints = kept

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


def _move(p: Parameter, value: float) -> None:
    value = max(value, FLOORS.get(p.name, -1e18))
    if p.type == "int":
        value = int(round(value))
    p.default = value
    p.low, p.high = min(p.low, value), max(p.high, value)  # type: ignore[type-var]


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


def _zone_entry(b: Builder, d: str, bp: dict[str, Any], texts: tuple[str, str], ref: str,
                low: str, high: str) -> None:
    """Oscillator entry: ``cross`` back out of the zone (default) or ``level`` in it;
    ``texts`` the (cross, level) sentences."""
    if bp.get("entry_mode") == "level":
        b.pair("entry", texts[1], "lt", ref, low, ("gt", ref, high), d)
    else:
        b.pair("entry", texts[0], "cross_above", ref, low, ("cross_below", ref, high), d)


def rsi_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("rsi_period", 14, 2, 30, 1)
    low = b.p("rsi_low", 30, 10, 45, 5)
    high = b.p("rsi_high", 70, 55, 90, 5)
    b.constraints.append("rsi_low < rsi_high")
    b.ind("rsi", "RSI", {"timeperiod": period})
    _zone_entry(b, d, bp, ("RSI crosses back above the oversold level",
                           "RSI is below the oversold level"), "rsi", low, high)
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
    line = {"hist": "macd.hist", "zero": "macd.macd"}.get(bp.get("macd_line", ""))
    if line:  # the histogram flip, or the MACD line crossing zero
        b.pair("entry", f"{line} crosses above zero", "cross_above", line, 0,
               ("cross_below", line, 0), d)
        b.pair("exit", f"{line} crosses below zero", "cross_below", line, 0,
               ("cross_above", line, 0), d)
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
    _zone_entry(b, d, bp, ("stochastic %K crosses up out of oversold",
                           "stochastic %K is in oversold"), "stoch.slowk", low, high)
    b.pair("exit", "stochastic %K reaches overbought", "gt", "stoch.slowk", high,
           ("lt", "stoch.slowk", low), d)


def cci_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("cci_period", 20, 10, 40, 2)
    low = b.p("cci_low", -100, -250, -50, 25)
    high = b.p("cci_high", 100, 50, 250, 25)
    b.ind("cci", "CCI", {"timeperiod": period}, HLC)
    _zone_entry(b, d, bp, ("CCI crosses back above its lower level",
                           "CCI is below its lower level"), "cci", low, high)
    b.pair("exit", "CCI reaches its upper level", "gt", "cci", high, ("lt", "cci", low), d)


def dmi_trend(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("dmi_period", 14, 7, 30, 1)
    b.ind("plus_di", "PLUS_DI", {"timeperiod": period}, HLC)
    b.ind("minus_di", "MINUS_DI", {"timeperiod": period}, HLC)
    b.pair("entry", "+DI crosses above -DI", "cross_above", "plus_di", "minus_di",
           ("cross_below", "plus_di", "minus_di"), d)
    b.pair("exit", "+DI crosses below -DI", "cross_below", "plus_di", "minus_di",
           ("cross_above", "plus_di", "minus_di"), d)


def willr_reversion(b: Builder, d: str, bp: dict[str, Any]) -> None:
    period = b.p("willr_period", 14, 5, 30, 1)
    low = b.p("willr_low", -80, -95, -60, 5)
    high = b.p("willr_high", -20, -40, -5, 5)
    b.constraints.append("willr_low < willr_high")
    b.ind("willr", "WILLR", {"timeperiod": period}, HLC)
    _zone_entry(b, d, bp, ("Williams %R crosses back above its oversold level",
                           "Williams %R is below its oversold level"), "willr", low, high)
    b.pair("exit", "Williams %R reaches its overbought level", "gt", "willr", high,
           ("lt", "willr", low), d)


def sar_trend(b: Builder, d: str, bp: dict[str, Any]) -> None:
    step = b.p("sar_step", 0.02, 0.01, 0.05, 0.01, "float")
    top = b.p("sar_max", 0.2, 0.1, 0.4, 0.05, "float")
    b.constraints.append("sar_step < sar_max")
    b.ind("sar", "SAR", {"acceleration": step, "maximum": top}, ["High", "Low"])
    b.pair("entry", "close crosses above the parabolic SAR", "cross_above", "Close", "sar",
           ("cross_below", "Close", "sar"), d)
    b.pair("exit", "close crosses below the parabolic SAR", "cross_below", "Close", "sar",
           ("cross_above", "Close", "sar"), d)


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
    "dmi_trend": dmi_trend, "gap_fade": gap_fade, "willr_reversion": willr_reversion,
    "sar_trend": sar_trend,
}

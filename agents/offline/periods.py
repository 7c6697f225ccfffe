"""Indicator look-backs and sizes an idea names: RSI(2), Bollinger(20, 2.5), MACD 12/26/9,
"55-day breakout", "fast 10, slow 50", "gaps over 1.5%". Only the chosen entry family's
own numbers are read, so "20-day" in a ROC idea never becomes a Donchian period."""

from __future__ import annotations

import re
from collections.abc import Callable

N = r"(\d+(?:\.\d+)?)"
MA_NAMES = "sma|ema|wma|dema|tema|kama|trima|ma"
DAYS = r"[- ]?(day|bar|period|week|month)s?"
# "rsi 2 below 5", "RSI-2 strategy": a number after the name, unless an operator or "at"
# puts it there ("cover at RSI 50" is a level)
LOOKBACK_AFTER = (r"(?<!at )(?<!to )(?<!> )(?<!< )(?<!above )(?<!below )(?<!over )(?<!under )"
                  r"(?<!the )\b{name}[- ]?(\d+)\b(?![.\d]|\s*(?:%|/))")


def _first(text: str, *patterns: str) -> re.Match[str] | None:
    for pat in patterns:
        if m := re.search(pat, text):
            return m
    return None


def _bars(n: str, unit: str | None) -> float:
    return float(n) * {"week": 5, "month": 21}.get(unit or "", 1)


def rsi(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = _first(t, r"\brsi\s*\(\s*(\d+)\s*\)", LOOKBACK_AFTER.format(name=r"rsi"),
               r"(\d+)[- ]?(?:day|period|bar)s?\s+rsi\b")
    return {"rsi_period": float(m[1])} if m else {}


def stoch(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = _first(t, r"(?:stochastic|%k)\s*(?:%k\s*)?\(\s*(\d+)\s*(?:,\s*(\d+))?", r"stochastic\s+(\d+)\s*[,/]\s*(\d+)",
               r"\b(\d+)\s*[,/]\s*(\d+)(?:\s*[,/]\s*\d+)?\s+(?:settings?|parameters?|params)\b")
    if not m:
        return {}
    return {"stoch_k": float(m[1]), **({"stoch_d": float(m[2])} if m[2] else {})}


def cci(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = _first(t, r"\bcci\s*\(\s*(\d+)", LOOKBACK_AFTER.format(name="cci"),
               r"(\d+)[- ]?(?:day|period|bar)s?\s+cci\b")
    return {"cci_period": float(m[1])} if m else {}


def bbands(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    o: dict[str, float] = {}
    if m := _first(t, rf"(?:bollinger|\bbb)\w*\s*(?:bands?\s*)?\(?\s*(\d+)\s*[,/]\s*{N}\b"):
        o["bb_period"], o["bb_dev"] = float(m[1]), float(m[2])
    if m := re.search(rf"{N}\s*(?:std|sd|stdev|standard deviations?|sigmas?|deviations?)\b", t):
        o["bb_dev"] = float(m[1])
    if m := _first(t, r"(\d+)[- ]?(?:day|period|bar)s?\s+(?:bollinger|bb\b|bands?|(?:moving\s+)?"
                      r"(?:average|mean|ma|sma)\b)",
                   r"(?:bollinger|\bbb|bands?)\s+(?:of\s+)?(\d+)[- ]?(?:day|period|bar)s?\b",
                   r"\b(\d+)[- ]?periods?\b"):
        o["bb_period"] = float(m[1])
    return o


def macd(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = re.search(r"\bmacd\s*\(?\s*(\d+)\s*[,/ ]\s*(\d+)\s*[,/ ]\s*(\d+)", t)
    if not m:
        return {}
    fast, slow = sorted((float(m[1]), float(m[2])))
    return {"macd_fast": fast, "macd_slow": slow, "macd_signal": float(m[3])}


def donchian(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    """Long: the N-day high is the entry channel, the N-day low the exit; short: reversed."""
    o: dict[str, float] = {}
    enter, leave = ("lows?|breakdowns?", "highs?") if direction == "short" else (
        "highs?|breakouts?", "lows?")
    if m := _first(t, rf"(\d+){DAYS}\s+(?:{enter}|channel|donchian)\b",
                   r"(?:donchian|channel|breakout of)\s*(?:\(\s*)?(\d+)()"):
        o["dc_period"] = _bars(m[1], m[2])
    if m := re.search(rf"(\d+){DAYS}\s+(?:{leave})\b", t):
        o["dc_exit_period"] = _bars(m[1], m[2])
    if m := re.search(r"(?:donchian|channel|breakout|turtle)\D{0,20}?(?<![\d.])(\d+)\s*/\s*(\d+)", t):
        o["dc_period"], o["dc_exit_period"] = float(m[1]), float(m[2])
    return o


def momentum(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = _first(t, r"\b(?:roc|mom|momentum|rate of change)\s*\(\s*(\d+)()",
               rf"(\d+){DAYS}\s+(?:roc|rate of change|momentum|mom|returns?)\b",
               r"\b(?:roc|mom|momentum|rate of change)\s+(?:over|of|across)\s+(?:the\s+)?(?:last\s+"
               rf"|past\s+)?(\d+){DAYS}",
               rf"\b(?:roc|mom|momentum|rate of change)[- ]?(\d+)(?:{DAYS})?\b(?!\s*%)")
    return {"mom_period": _bars(m[1], m[2])} if m else {}


def dmi(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = _first(t, r"\b(?:dmi|di)\s*\(\s*(\d+)", r"\bdmi[- ]?(\d+)\b", r"\badx\s*\(\s*(\d+)")
    return {"dmi_period": float(m[1])} if m else {}


def willr(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = _first(t, r"(?:williams\s*%?r?|%r|willr)\s*\(\s*(\d+)", r"(\d+)[- ]?(?:day|period|bar)s?\s+"
               r"(?:williams|%r|willr)")
    return {"willr_period": float(m[1])} if m else {}


def sar(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = re.search(r"(?:sar|parabolic)\w*\s*(?:sar\s*)?\(\s*(\d*\.?\d+)\s*,\s*(\d*\.?\d+)", t)
    return {"sar_step": float(m[1]), "sar_max": float(m[2])} if m else {}


def ma_pair(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    """fast/slow from the entry clauses: "50/200", "fast 10, slow 50", "10 EMA ... 30 EMA",
    "EMA(8) crossing EMA(21)"."""
    args = [float(n) for n in re.findall(rf"\b(?:{MA_NAMES})\s*\(\s*(\d+)\s*\)", t)]
    if len(set(args)) >= 2:
        return {"fast_period": min(args[:2]), "slow_period": max(args[:2])}
    if m := re.search(r"(?<![\d.])(\d+)\s*/\s*(\d+)(?![\d.])", entry):
        a, b = sorted((float(m[1]), float(m[2])))
        return {"fast_period": a, "slow_period": b}
    fast = re.search(r"\b(?:fast|short)\w*\s*(?:ma\s*|period\s*|=\s*|of\s*)?(\d+)", entry)
    slow = re.search(r"\b(?:slow|long)\w*\s*(?:ma\s*|period\s*|=\s*|of\s*)?(\d+)", entry)
    if fast and slow:
        return {"fast_period": float(fast[1]), "slow_period": float(slow[1])}
    found: list[float] = []
    for m in re.finditer(rf"(\d+)(?:{DAYS})?\s+(?:simple\s+|exponential\s+)?(?:{MA_NAMES}|moving "
                         rf"average)s?\b|\b(?:{MA_NAMES})\s*(\d+)\b", entry):
        n = _bars(m[1], m[2]) if m[1] else float(m[3])
        if n not in found:
            found.append(n)
    if len(found) >= 2:
        return {"fast_period": min(found[:2]), "slow_period": max(found[:2])}
    if re.search(r"golden cross|death cross", t):
        return {"fast_period": 50, "slow_period": 200}
    return {}


def gap(t: str, entry: str, direction: str = "long") -> dict[str, float]:
    m = _first(t, r"gap\w*(?:[- ](?:up|down)s?)?\s*(?:of\s+|over\s+|above\s+|(?:larger|bigger|greater"
                  rf"|more) than\s+|>\s*|exceeding\s+|at least\s+)?{N}%",
               rf"{N}%\s*(?:\+\s*)?gap")
    return {"gap_pct": float(m[1])} if m else {}


READERS: dict[str, Callable[[str, str, str], dict[str, float]]] = {
    "rsi_reversion": rsi, "stoch_reversion": stoch, "cci_reversion": cci,
    "bb_reversion": bbands, "bb_breakout": bbands, "macd_cross": macd,
    "donchian_breakout": donchian, "roc_momentum": momentum, "dmi_trend": dmi,
    "ma_cross": ma_pair, "gap_fade": gap, "willr_reversion": willr, "sar_trend": sar,
}


def read_periods(family: str, t: str, entry_text: str, direction: str) -> dict[str, float]:
    reader = READERS.get(family)
    return reader(t, entry_text, direction) if reader else {}

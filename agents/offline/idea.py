"""Idea text -> blueprint -> spec, by what the text names; a seeded choice otherwise."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from agents.offline.assemble import build
from agents.offline.blocks import ENTRIES
from agents.offline.market import datasets_for, missing_datasets, timeframe_for
from agents.offline.periods import read_periods
from agents.offline.reading import FAMILY_OSCILLATOR, read_clauses
from agents.offline.risk_words import describe, read_risk, read_size
from agents.offline.words import atr_period, normalise, normalise_words
from agents.spec import StrategySpec

# (entry family, patterns); the first family whose pattern appears earliest in the text wins
ENTRY_WORDS: list[tuple[str, str]] = [
    ("gap_fade", r"\bgaps?\b|\bgap[- ]?(?:up|down)s?\b"),
    ("bb_breakout", r"squeeze|(?:closes?|breaks?|breakout|above)\s+(?:out\s+)?(?:above\s+)?"
                    r"(?:the\s+)?upper (?:bollinger |keltner )?band"),
    ("bb_reversion", r"bollinger|\bbands?\b|\bbb\b|keltner|envelope|standard deviations?|\bstd\b"
                     r"|z.?score|sigmas?\b"),
    ("donchian_breakout", r"donchian|channel breakout|turtle|breakout|breakdown|new highs?"
                          r"|new lows?|\d+[- ](?:day|week|bar) (?:highs?|lows?)"),
    ("macd_cross", r"\bmacd\b"),
    ("willr_reversion", r"williams|%r\b|\bwillr\b"),
    ("stoch_reversion", r"stoch\w*|%k"),
    ("cci_reversion", r"\bcci\b|commodity channel"),
    ("dmi_trend", r"\bdmi\b|directional movement|\+di|plus[_ ]di"),
    ("sar_trend", r"parabolic|\bp?sar\b"),
    ("rsi_reversion", r"\brsi\b|relative strength|oversold|overbought"),
    ("ma_cross", r"golden cross|death cross|moving averages?|\b(?:s|e|w|de|te|tri)?ma\b|\bkama\b"
                 r"|crossover|\bcross\b|dual average"),
    ("roc_momentum", r"momentum|\broc\b|rate of change|\bmom\b|time.series momentum"),
]
FALLBACK_BY_STYLE = {
    "mean_reversion": ["rsi_reversion", "bb_reversion", "stoch_reversion", "cci_reversion"],
    "trend": ["ma_cross", "donchian_breakout", "macd_cross", "dmi_trend"],
}
STOPWORDS = {"on", "the", "a", "an", "with", "and", "of", "for", "in", "to", "using", "when",
             "at", "by", "then", "strategy", "trade", "trading", "use", "buy", "sell", "that"}


def idea_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def rng_for(text: str, seed: int, salt: str = "") -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{salt}\x00{' '.join(text.split())}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _has(text: str, pattern: str) -> bool:
    return re.search(pattern, text) is not None


def pick_entry(text: str, rng: random.Random, exit_text: str = "") -> str:
    """The family named earliest in the entry clauses; when several are named and the exit
    clauses name one of them ("... and MACD above signal, exit when MACD crosses below"),
    that one."""
    hits = []
    for family, pattern in ENTRY_WORDS:
        m = re.search(pattern, text)
        if m:
            hits.append((m.start(), ENTRY_WORDS.index((family, pattern)), family))
    in_exit = {f for f, pattern in ENTRY_WORDS if re.search(pattern, exit_text)}
    preferred = [h for h in hits if h[2] in in_exit]
    if len(hits) > 1 and len(preferred) == 1:
        hits = preferred
    if hits:
        family = min(hits)[2]
        if family == "bb_reversion" and _has(text, r"squeeze|breakout|break out|breaks? above"
                                                   r"|expansion|above the upper"):
            return "bb_breakout"  # "Bollinger band width squeeze then breakout", "Keltner breakout"
        return family
    if _has(text, r"mean.revert|mean.reversion|revert|pullback|dip|fade|bounce|reversal"):
        return rng.choice(FALLBACK_BY_STYLE["mean_reversion"])
    if _has(text, r"trend|follow|ride|breakout"):
        return rng.choice(FALLBACK_BY_STYLE["trend"])
    return rng.choice(sorted(ENTRIES))


MA_KINDS = {"ema": "EMA", "exponential": "EMA", "wma": "WMA", "weighted": "WMA", "dema": "DEMA",
            "tema": "TEMA", "kama": "KAMA", "adaptive": "KAMA", "trima": "TRIMA",
            "triangular": "TRIMA", "sma": "SMA", "simple": "SMA"}
UNSUPPORTED = {"VWAP": r"\bvwap\b", "Ichimoku": r"ichimoku|kumo|tenkan", "Supertrend":
               r"super ?trend", "OBV": r"\bobv\b|on.balance volume", "Fibonacci levels":
               r"fibonacci|\bfib\b", "pivot points": r"\bpivots?\b", "Hull MA": r"\bhull\b|\bhma\b",
               "Heikin-Ashi": r"heikin|heiken", "volume profile": r"volume profile",
               "candlestick patterns": r"engulfing|doji|hammer|harami"}


def ma_kind(text: str) -> str:
    """The moving average the idea names first (talib name); SMA when it names none."""
    m = re.search(rf"\b({'|'.join(MA_KINDS)})\b", text)
    return MA_KINDS[m[1]] if m else "SMA"


def unsupported(text: str) -> list[str]:
    t = text.lower()
    return [name for name, pat in UNSUPPORTED.items() if re.search(pat, t)]


def idea_blueprint(text: str, seed: int = 0) -> dict[str, Any]:
    """The blueprint ``text`` asks for: its numbers as overrides, its exits, its side.

    Nothing the idea does not state is added: no stop, target, trailing stop or filter
    unless named. A family's own exit (RSI back above its overbought level, the death
    cross, the middle band) stays unless the idea says how it exits instead (an exit
    rule of its own, a target, a trailing stop, a holding time); a plain stop is
    protection and keeps it.
    """
    t = normalise(text)
    rng = rng_for(t, seed, "blueprint")
    reading = read_clauses(t, lambda entry_text, exit_text: pick_entry(entry_text, rng,
                                                                      exit_text))
    entry = reading.family
    kinds, risk_overrides = read_risk(t)
    bp: dict[str, Any] = {"entry": entry, "filters": reading.filters, **kinds,
                          "time_exit": reading.time_exit, "direction": reading.direction}
    stated = reading.exits - {"signal", "risk"} or reading.time_exit or kinds["target"] \
        or kinds["trailing"]
    bp["exit_signal"] = "signal" in reading.exits or not stated
    if reading.exit_ma:
        bp["exit_ma"] = reading.exit_ma
    if reading.exit_band:
        bp["exit_band"] = reading.exit_band
    if reading.exit_prev:
        bp["exit_prev"] = reading.exit_prev
    if entry in FAMILY_OSCILLATOR:
        bp["entry_mode"] = reading.entry_mode
    if entry == "ma_cross":
        bp["ma"] = ma_kind(reading.entry_text)
    if entry == "roc_momentum":
        bp["mom"] = "MOM" if _has(t, r"\bmom\b") else "ROC"
    if entry == "macd_cross" and _has(t, r"histogram|\bhist\b"):
        bp["macd_line"] = "hist"
    elif entry == "macd_cross" and _has(t, r"zero[- ]?line|(?:above|below|crosses|over|under)"
                                           r" (?:zero|0)\b") and not _has(t, r"signal"):
        bp["macd_line"] = "zero"
    if reading.trend_ma != "SMA":
        bp["trend_ma"] = reading.trend_ma
    overrides = {**read_periods(entry, t, reading.entry_text, reading.direction), **reading.overrides,
                 **risk_overrides}
    if "adx" in reading.filters and (m := re.search(r"\badx\s*\(\s*(\d+)|(\d+)[- ]?(?:day|period"
                                                    r"|bar)s?\s+adx\b|\badx-(\d+)\b", t)):
        overrides["adx_period"] = float(m[1] or m[2] or m[3])
    if "atr" in (kinds["stop"], kinds["target"], kinds["trailing"]):
        period = atr_period(normalise_words(text))
        if period is not None:
            overrides["atr_period"] = float(period)
    bp["overrides"] = overrides
    size = read_size(t)
    if size is not None:
        bp["size"] = size
    return bp


def name_for(text: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z]+", text) if w.lower() not in STOPWORDS]
    name = "".join(w[:1].upper() + w[1:].lower() for w in words[:5])[:48]
    return name or "OfflineStrategy"


def idea_to_spec(text: str, seed: int = 0) -> StrategySpec:
    """A full, validated spec for ``text``; same text + seed -> same spec."""
    if not text.strip():
        raise ValueError("idea text is empty")
    bp = idea_blueprint(text, seed)
    bp["seed"] = seed
    datasets = datasets_for(text)
    numbers = ", ".join(f"{k}={v:g}" for k, v in sorted(bp["overrides"].items()))
    hypothesis = (f"{' '.join(text.split())} -- offline engine reading: {bp['entry']} entry"
                  f"{' (' + numbers + ')' if numbers else ''}"
                  f"{', filters ' + '+'.join(bp['filters']) if bp['filters'] else ''}"
                  f", {bp['direction']} side, {describe(bp, bp['overrides'])}."
                  + "".join(f" {n} is no available dataset, so this runs on {datasets[0]}: put "
                            f"{n}.csv in the data folder and add the idea again to test it there."
                            for n in missing_datasets(text))
                  + "".join(f" {n} is not among the offline engine's blocks; the rest of the "
                            "idea was read." for n in unsupported(text)))
    return build(bp, name=name_for(text), hypothesis=hypothesis, datasets=datasets,
                 source_idea_hash=idea_hash(text), timeframe=timeframe_for(text))

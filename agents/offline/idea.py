"""Idea text -> blueprint -> spec, by what the text names; a seeded choice otherwise."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from agents.offline.blocks import ENTRIES, build
from agents.spec import StrategySpec

# (entry family, patterns); the first family whose pattern appears earliest in the text wins
ENTRY_WORDS: list[tuple[str, str]] = [
    ("bb_breakout", r"bollinger\w*\s+(?:band\s+)?(?:squeeze|breakout|expansion)|squeeze"),
    ("bb_reversion", r"bollinger|\bbands?\b|keltner|envelope"),
    ("donchian_breakout", r"donchian|channel breakout|turtle|breakout|new highs?|\d+[- ]day high"),
    ("macd_cross", r"\bmacd\b"),
    ("stoch_reversion", r"stoch\w*|%k"),
    ("cci_reversion", r"\bcci\b|commodity channel"),
    ("dmi_trend", r"\bdmi\b|directional movement|\+di|plus[_ ]di"),
    ("rsi_reversion", r"\brsi\b|relative strength|oversold|overbought"),
    ("ma_cross", r"golden cross|death cross|moving averages?|\bma\b|\bsma\b|\bema\b|crossover"
                 r"|\bcross\b|dual average"),
    ("roc_momentum", r"momentum|\broc\b|rate of change|\bmom\b|time.series momentum"),
]
FALLBACK_BY_STYLE = {
    "mean_reversion": ["rsi_reversion", "bb_reversion", "stoch_reversion", "cci_reversion"],
    "trend": ["ma_cross", "donchian_breakout", "macd_cross", "dmi_trend"],
}
DATASETS = {"GOOG": r"\bgoog\w*|google|alphabet", "EURUSD": r"eur\s*/?\s*usd|\beuro\b|forex|\bfx\b",
            "BTCUSD": r"btc|bitcoin|crypto"}
STOPWORDS = {"on", "the", "a", "an", "with", "and", "of", "for", "in", "to", "using", "when",
             "at", "by", "then", "strategy", "trade", "trading", "use", "buy", "sell", "that"}


def idea_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def rng_for(text: str, seed: int, salt: str = "") -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{salt}\x00{' '.join(text.split())}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _has(text: str, pattern: str) -> bool:
    return re.search(pattern, text) is not None


def pick_entry(text: str, rng: random.Random) -> str:
    hits = []
    for family, pattern in ENTRY_WORDS:
        m = re.search(pattern, text)
        if m:
            hits.append((m.start(), ENTRY_WORDS.index((family, pattern)), family))
    if hits:
        return min(hits)[2]
    if _has(text, r"mean.revert|mean.reversion|revert|pullback|dip|fade|bounce|reversal"):
        return rng.choice(FALLBACK_BY_STYLE["mean_reversion"])
    if _has(text, r"trend|follow|ride|breakout"):
        return rng.choice(FALLBACK_BY_STYLE["trend"])
    return rng.choice(sorted(ENTRIES))


def _overrides(text: str, entry: str) -> dict[str, float]:
    o: dict[str, float] = {}
    num = r"(\d+(?:\.\d+)?)"
    if m := re.search(rf"\brsi\s*\(?\s*{num}", text):
        o["rsi_period"] = float(m[1])
    if m := re.search(rf"(?:oversold|below)\s*(?:level\s*)?(?:of\s*)?{num}", text):
        o["rsi_low"] = o["stoch_low"] = float(m[1])
    if m := re.search(rf"(?:overbought|above)\s*(?:level\s*)?(?:of\s*)?{num}", text):
        o["rsi_high"] = o["stoch_high"] = float(m[1])
    if m := re.search(rf"{num}\s*/\s*{num}", text):
        o["fast_period"], o["slow_period"] = float(m[1]), float(m[2])
    elif _has(text, r"golden cross|death cross"):
        o["fast_period"], o["slow_period"] = 50, 200
    if m := re.search(rf"{num}[- ]?(?:day|bar|period|week)", text):
        main = {"donchian_breakout": "dc_period", "roc_momentum": "mom_period",
                "bb_reversion": "bb_period", "bb_breakout": "bb_period",
                "cci_reversion": "cci_period"}.get(entry)
        if main:
            o[main] = float(m[1])
    if m := re.search(rf"{num}\s*(?:x\s*)?atr", text):
        o["stop_atr"] = float(m[1])
    if m := re.search(rf"{num}\s*%\s*(?:stop|sl)", text):
        o["stop_pct"] = float(m[1])
    if m := re.search(rf"{num}\s*%\s*(?:target|take.profit|tp)", text):
        o["target_pct"] = float(m[1])
    return o


def idea_blueprint(text: str, seed: int = 0) -> dict[str, Any]:
    t = text.lower()
    rng = rng_for(t, seed, "blueprint")
    entry = pick_entry(t, rng)
    bp: dict[str, Any] = {"entry": entry, "filters": [], "exit_signal": True,
                          "stop": None, "target": None, "trailing": None, "time_exit": False}
    if entry == "ma_cross":
        bp["ma"] = "EMA" if _has(t, r"\bema\b|exponential") else (
            "SMA" if _has(t, r"\bsma\b|simple|golden|death") else rng.choice(["SMA", "EMA"]))
    if entry == "roc_momentum":
        bp["mom"] = "MOM" if _has(t, r"\bmom\b") else "ROC"
    if _has(t, r"trend filter|with the trend|trend.following|above the \d+|long.term trend"
               r"|uptrend|regime|200.day"):
        bp["filters"].append("trend")
    if _has(t, r"\badx\b|trend strength|strong trend"):
        bp["filters"].append("adx")
    if _has(t, r"volatil|\batr\b filter|squeeze|quiet|calm|expansion"):
        bp["filters"].append("volatility")
    atr_words = _has(t, r"\batr\b|average true range|volatility.based")
    if _has(t, r"trailing|trail|chandelier"):
        bp["trailing"] = "atr" if atr_words or _has(t, r"chandelier") else "percent"
    if _has(t, r"stop|risk|protect|\bsl\b"):
        bp["stop"] = "percent" if _has(t, r"%\s*stop|percent stop") else (
            "atr" if atr_words else rng.choice(["atr", "percent"]))
    elif atr_words and not bp["trailing"]:
        bp["stop"] = "atr"
    if _has(t, r"target|take.profit|profit target|\btp\b|reward"):
        bp["target"] = bp["stop"] or "atr"
    if _has(t, r"time exit|hold(?:ing)? for|after \d+ (?:days|bars)|max(?:imum)? hold"):
        bp["time_exit"] = True
    if not any((bp["stop"], bp["target"], bp["trailing"])) and rng.random() < 0.5:
        bp["stop"] = rng.choice(["atr", "percent"])
    if _has(t, r"long and short|long/short|both (?:directions|sides)|short and long"):
        bp["direction"] = "both"
    elif _has(t, r"short only|short.sell|go short|sell short|shorting|short side|short trades"
                 r"|short positions"):
        bp["direction"] = "short"
    else:
        bp["direction"] = "long"
    bp["overrides"] = _overrides(t, entry)
    return bp


def datasets_for(text: str) -> list[str]:
    t = text.lower()
    found = [name for name, pat in DATASETS.items() if re.search(pat, t)]
    return found or ["GOOG"]


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
    hypothesis = (f"{' '.join(text.split())} -- offline engine reading: {bp['entry']} entry"
                  f"{', filters ' + '+'.join(bp['filters']) if bp['filters'] else ''}"
                  f", {bp['direction']} side.")
    return build(bp, name=name_for(text), hypothesis=hypothesis, datasets=datasets_for(text),
                 source_idea_hash=idea_hash(text))

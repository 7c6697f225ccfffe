"""Trader prose -> one canonical spelling the idea reader's patterns can rely on.

``normalise`` lowercases and rewrites what traders vary: number words ("two percent"),
units ("2 pct", "2 per cent" -> "2%"), ATR multiples ("ATR(14)x3", "3 x ATR", "2N" ->
"3atr"), common misspellings ("bolinger"), arrows and dashes. ``clauses`` cuts a
normalised idea into the pieces a trader separates with commas, "then", "and", "or".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUM = r"(\d+(?:\.\d+)?)"
UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
         "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
         "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
TYPOS = [
    (r"\bbo+l+i+n+g+[ea]*r+s?\b", "bollinger"),
    (r"\bstoch?astics?\b|\bstochs?\b", "stochastic"),
    (r"\brever(?:t|s)ion\b|\brevertion\b", "reversion"),
    (r"\bmoving\s+avg\b|\bmov\.?\s*avg\b|\bmoving\s+averages\b", "moving average"),
    (r"\bx-?over\b", "crossover"),
    (r"\b(cross(?:es|ed|ing)?)\s+over\b", r"\1 above"),
    (r"\b(cross(?:es|ed|ing)?)\s+under\b", r"\1 below"),
    (r"\bdon'?t\b|\bdo not\b", "dont"),
    (r"\btime[- ]stop\b", "time exit"),
    (r"\bstop[- ]loss(?:es)?\b|\bstoploss\b", "stop"),
    (r"\btake[- ]?profits?\b|\bprofit[- ]target\b|\btp\b", "target"),
    (r"\b(rsi|cci|roc|mom|adx|dmi|sma|ema|wma|dema|tema|kama|macd|willr)(\d+)\b", r"\1 \2"),
]


def _words_to_numbers(t: str) -> str:
    t = re.sub(r"\bone and a half\b", "1.5", t)
    t = re.sub(r"\b(\w+) and a half\b",
               lambda m: f"{UNITS[m[1]]}.5" if m[1] in UNITS else m[0], t)
    tens = "|".join(TENS)
    units = "|".join(k for k in UNITS if UNITS[k] < 10)
    t = re.sub(rf"\b({tens})(?:[- ]({units}))?\b",
               lambda m: str(TENS[m[1]] + (UNITS[m[2]] if m[2] else 0)), t)
    t = re.sub(rf"\b({'|'.join(UNITS)})\b", lambda m: str(UNITS[m[1]]), t)
    t = re.sub(r"\b(?:a|1)\s+hundred\b", "100", t)
    return re.sub(r"\b(\d+)\s+hundred\b", lambda m: str(int(m[1]) * 100), t)


def normalise(text: str) -> str:
    """Canonical spelling, ATR multiples included (``3atr``)."""
    return _atr_multiples(normalise_words(text))


def normalise_words(text: str) -> str:
    """Canonical spelling, with ATR phrases as written (atr_period reads those)."""
    t = " ".join(text.lower().split())
    t = (t.replace("\u2192", ",").replace("->", ",").replace("=>", ",")
         .replace("\u2014", ",").replace("\u2013", ",").replace(" - ", ", ")
         .replace("\u00d7", "x").replace("\u2265", ">=").replace("\u2264", "<=")
         .replace("\u00b1", "+/-").replace("\u2019", "'"))
    for pattern, repl in TYPOS:
        t = re.sub(pattern, repl, t)
    t = _words_to_numbers(t)
    t = re.sub(r"\s*(?:per\s*cent|percent|pct|perc)\b", "%", t)
    return re.sub(r"(\d)\s+%", r"\1%", t)


def atr_period(t: str) -> int | None:
    """The ATR look-back a trader named: ATR(14), 14-day ATR, ATR 14 x 3; N is 20."""
    for pat in (r"\batr\s*\(\s*(\d+)\s*\)", r"\b(\d+)[- ]?(?:day|period|bar)s?\s+atr\b",
                r"\batr\s*(\d+)\s*(?:x|\*)"):
        if m := re.search(pat, t):
            return int(m[1])
    return 20 if re.search(rf"\b{NUM}\s*n\b", t) else None


def _atr_multiples(t: str) -> str:
    """Every ATR multiple as ``<k>atr`` (read the look-back first, with atr_period)."""
    t = re.sub(rf"\batr\s*(?:\(\s*\d+\s*\)|\d+)?\s*(?:x|\*|times)\s*{NUM}",
               lambda m: f"{m[1]}atr", t)
    t = re.sub(rf"{NUM}\s*(?:x|\*|times)?\s*(?:the\s+)?(?:\d+[- ]?(?:day|period|bar)s?\s+)?"
               r"atrs?\b(?:\s*\(\s*\d+\s*\))?", lambda m: f"{m[1]}atr", t)
    return re.sub(rf"\b{NUM}\s*n\b", lambda m: f"{m[1]}atr", t)


def strip_arg_lists(t: str) -> str:
    """Drop numeric argument lists (``rsi(14)``, ``(20, 2.5)``) once they are read."""
    return re.sub(r"\(\s*[-+\d.,\s/]*\)", " ", t)


@dataclass
class Clause:
    text: str
    joined_by: str  # the separator before it: "," / "and" / "or" / "then" / "" (first)


SPLIT = re.compile(r"(,|;|:|!|\?|\.(?!\d)|\bthen\b|\band\b|\bor\b|\bbut\b|\(|\))")


def clauses(t: str) -> list[Clause]:
    out: list[Clause] = []
    joined = ""
    for piece in SPLIT.split(t):
        if SPLIT.fullmatch(piece or "x"):
            joined = piece if piece in ("and", "or") or not joined else joined
            continue
        if piece.strip():
            out.append(Clause(piece.strip(), joined))
            joined = ""
    return out

"""Stops, targets and trailing stops as an idea states them, and nothing more.

Reads ``<k>%`` and ``<k>atr`` amounts (see :mod:`agents.offline.words`) next to "stop",
"target" / "take profit" / "profit", "trail" / "chandelier"; "take profit at 2R" is twice
the stop; "no stop" / "dont use a stop" / "no target" removes that level. A level the idea does not
mention stays absent.
"""

from __future__ import annotations

import re
from typing import Any

NEGATED = re.compile(r"\b(?:no|dont use|dont want|dont need|never use|without|w/o|not using"
                     r"|skip)\s+(?:a\s+|an\s+|any\s+|the\s+)?(?:hard\s+|fixed\s+|protective\s+)?"
                     r"(?P<what>trailing stops?|trail\w*|stops?|targets?|profits?)\b"
                     r"|\bstop-?less\b|\bno sl\b")
SEGMENT = re.compile(r"[,;!?()]|\.(?!\d)|:(?!\s*\d)|\band\b|\bthen\b|\bor\b|\bwith\b")
AMOUNT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(%|atr\b)")
# "2R", "2:1 reward to risk", "1:3 risk reward": the target is that many stops away
R_MULTIPLE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:r\b|:\s*1\b|to\s*1\b)"
                        r"|(?<![\w.])1\s*(?::|to)\s*(\d+(?:\.\d+)?)\b")
KEYWORDS = {"trailing": re.compile(r"trail\w*|chandelier"),
            "stop": re.compile(r"\bstops?\b|\bsl\b"),
            "target": re.compile(r"\btargets?\b|\bprofits?\b|\breward\b|\bobjective\b")}
DEFAULTS = {"stop": {"atr": 2.0, "percent": 5.0}, "target": {"atr": 3.0, "percent": 10.0},
            "trailing": {"atr": 3.0, "percent": 8.0}}
SUFFIX = {"atr": "atr", "percent": "pct"}


def read_risk(t: str) -> tuple[dict[str, str | None], dict[str, float]]:
    """({stop|target|trailing: 'atr'|'percent'|None}, overrides like stop_pct=2.0)."""
    negated = {_role_of(m["what"] or "stop") for m in NEGATED.finditer(t)}
    t = NEGATED.sub(" negated ", t)
    kinds: dict[str, str | None] = {"stop": None, "target": None, "trailing": None}
    values: dict[str, float] = {}
    r_target: float | None = None
    for seg in SEGMENT.split(t):
        found = {k: [m.start() for m in p.finditer(seg)] for k, p in KEYWORDS.items()}
        if found["trailing"]:
            found["stop"] = []  # "trailing stop" is one thing
        if not any(found.values()):
            continue
        for m in AMOUNT.finditer(seg):
            role = _nearest(found, m.start())
            if kinds[role] is None:
                kinds[role] = "atr" if m[2] == "atr" else "percent"
                values[role] = float(m[1])
        if found["target"] and kinds["target"] is None and (r := R_MULTIPLE.search(seg)):
            r_target = float(r[1] or r[2])
        for role, hits in found.items():
            if hits and kinds[role] is None and not (role == "target" and r_target):
                kinds[role] = "atr" if "atr" in seg or "chandelier" in seg else None
                kinds[role] = kinds[role] or ("atr" if role == "target" and kinds["stop"] == "atr"
                                              else "percent")
    for role in negated:
        kinds[role] = None
        values.pop(role, None)
    if r_target is not None and kinds["target"] is None:
        kind = kinds["stop"] or "atr"
        stop = values.get("stop", DEFAULTS["stop"][kind])
        kinds["target"], values["target"] = kind, round(r_target * stop, 6)
    overrides = {f"{role}_{SUFFIX[str(kinds[role])]}": v for role, v in values.items()
                 if kinds[role]}
    return kinds, overrides


def _role_of(word: str) -> str:
    return ("trailing" if word.startswith("trail") else "target"
            if word.startswith(("target", "profit")) else "stop")


def _nearest(found: dict[str, list[int]], pos: int) -> str:
    best: tuple[int, str] | None = None
    for role, hits in found.items():
        for h in hits:
            if best is None or abs(h - pos) < best[0]:
                best = (abs(h - pos), role)
    assert best is not None
    return best[1]


def describe(kinds: dict[str, Any], overrides: dict[str, float]) -> str:
    parts = []
    for role in ("stop", "target", "trailing"):
        kind = kinds.get(role)
        if kind:
            value = overrides.get(f"{role}_{SUFFIX[kind]}")
            unit = "%" if kind == "percent" else " ATR"
            parts.append(f"{role} {value if value is not None else 'default'}{unit}")
    return ", ".join(parts) or "no stop, target or trailing stop"


SIZE = [re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)%\s*(?:of\s+(?:my\s+|the\s+)?(?:equity|capital|account"
                   r"|portfolio|cash)|position size|allocation|per position)"),
        re.compile(r"(?:position size|size|allocate|allocation|invest)\s*(?:of\s+|=\s*|:\s*)?"
                   r"(\d+(?:\.\d+)?)%")]
UNITS = re.compile(r"(?:buy|sell|short|trade)\s+(\d+)\s+(?:shares|units|contracts|coins|lots)\b")


def read_size(t: str) -> float | None:
    """The position size an idea states: a share of equity ("50% of equity" -> 0.5; all of
    it is 0.9999, as backtesting.py reads 1 as one unit) or whole units ("100 shares")."""
    for pat in SIZE:
        if m := pat.search(t):
            share = float(m[1]) / 100
            return min(share, 0.9999) if share > 0 else None
    if m := UNITS.search(t):
        return float(m[1]) if int(m[1]) >= 1 else None
    return None


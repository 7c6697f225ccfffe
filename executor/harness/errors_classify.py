"""Name the error classes LLM-written strategies hit most (see LLM-CODE-FAILURES.md).

Each class has a cheap deterministic fix or a precise hint downstream, so the name is
part of the result contract (``error["class"]``).
"""

from __future__ import annotations

import re
from typing import Any

CLASSES = (
    "syntax",
    "import",
    "invented_attribute",
    "size_assertion",
    "sl_tp_order",
    "indicator_error",
    "column_key",
    "talib_dtype",
    "missing_parameter",
    "no_strategy",
    "data_file",
    "memory",
    "timeout",
    "exception",
)

_RULES: tuple[tuple[str, str], ...] = (
    ("size_assertion", r"size must be a positive fraction of equity|positive whole number of units"),
    ("sl_tp_order", r"requires: (SL|TP) \(.*\) < LIMIT|Long orders require|Short orders require|SL.*TP"),
    ("talib_dtype", r"input array type is not double|input array has wrong dimensions|Exception: input array"),
    ("missing_parameter", r"missing parameter|Strategy .* is missing parameter"),
    ("no_strategy", r"no Strategy subclass"),
    ("indicator_error", r'Indicator ".*" error|Indicators must return'),
    ("data_file", r"No such file or directory|FileNotFoundError"),
)


def classify(err: dict[str, Any]) -> str:
    etype = str(err.get("type") or "")
    msg = f"{err.get('message') or ''}"
    cause = err.get("cause") or {}
    full = f"{etype}: {msg} | {cause.get('type', '')}: {cause.get('message', '')}"
    if etype in ("SyntaxError", "IndentationError", "TabError"):
        return "syntax"
    if etype in ("ModuleNotFoundError", "ImportError"):
        return "import"
    if etype == "MemoryError":
        return "memory"
    for name, pattern in _RULES:
        if re.search(pattern, full, re.IGNORECASE):
            return name
    if etype == "KeyError" and re.search(r"'(open|high|low|close|volume|adj close)'", msg, re.I):
        return "column_key"
    if etype == "AttributeError":
        if re.search(r"has no attribute '(open|high|low|close|volume)'", msg):
            return "column_key"
        return "invented_attribute"
    return "exception"

"""classify(): an exception (type, message, traceback incl. chained cause) -> error class."""

from __future__ import annotations

import re
from typing import Any

from agents.codefix.rules.columns import OHLCV
from agents.codefix.truncated import is_truncated

CLASSES = ("column_key", "talib_dtype", "series_vs_array", "invented_attribute",
           "size_assertion", "sl_tp_order", "indicator_error", "nan_stats", "zero_trades",
           "syntax", "import", "truncated", "other")
PANDAS_ON_ARRAY = re.compile(
    r"'(_Array|_Indicator|numpy\.ndarray|ndarray)' object has no attribute '(\w+)'")
CHAIN = ("The above exception was the direct cause of the following exception",
         "During handling of the above exception, another exception occurred")
EXC_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Warning)|Exception|KeyError)"
                      r"(?::\s?(.*))?$")


def _cause(traceback: str) -> tuple[str, str] | None:
    """(type, message) of the first exception in a chained traceback."""
    if not traceback or not any(c in traceback for c in CHAIN):
        return None
    head = traceback
    for c in CHAIN:
        head = head.split(c)[0]
    for line in reversed(head.strip().splitlines()):
        m = EXC_LINE.match(line.strip())
        if m and not line.startswith(" "):
            return m.group(1), (m.group(2) or "").strip()
    return None


def _simple(etype: str, message: str) -> str:
    msg = message or ""
    low = msg.lower()
    if etype in {"SyntaxError", "IndentationError", "TabError"}:
        if "was never closed" in low or "unexpected eof" in low or "eof while" in low \
                or "unterminated triple-quoted" in low:
            return "truncated"
        return "syntax"
    if etype in {"ModuleNotFoundError", "ImportError"}:
        return "import"
    if "input array type is not double" in low or "input array" in low and "double" in low:
        return "talib_dtype"
    if "size must be a positive fraction" in low or "portion must be a fraction" in low:
        return "size_assertion"
    if re.search(r"(long|short) orders require", low):
        return "sl_tp_order"
    if etype == "KeyError":
        key = msg.strip("'\" ")
        return "column_key" if key.lower().strip() in OHLCV else "other"
    m = re.search(r"Column '([^']*)' not in data", msg)
    if m:
        return "column_key" if m.group(1).strip().lower() in OHLCV else "invented_attribute"
    if PANDAS_ON_ARRAY.search(msg):
        return "series_vs_array"
    if etype == "AttributeError" and re.search(
            r"'(Position|_Broker|Trade|Order|_Data|\w+)' object has no attribute", msg):
        return "invented_attribute"
    if etype == "TypeError" and "unexpected keyword argument" in low and (
            "buy()" in msg or "sell()" in msg or "close()" in msg):
        return "invented_attribute"
    if "indicators must return" in low or re.search(r'indicator ".*" error', low):
        return "indicator_error"
    if re.search(r"takes (at least|exactly|at most) \d+ positional argument", low) \
            or "not callable" in low:
        return "indicator_error"
    return "other"


def _at_end(error: dict[str, Any]) -> bool:
    """A syntax error on the code's last non-blank line (needs ``error["code"]``)."""
    code = error.get("code")
    line = error.get("line") or 0
    if not isinstance(code, str) or not line:
        return False
    lines = [i for i, text in enumerate(code.splitlines(), 1) if text.strip()]
    return bool(lines) and int(line) >= lines[-1]


def classify(error: dict[str, Any]) -> str:
    """Map ``{"type", "message", "traceback", "line"}`` to one of :data:`CLASSES`.

    ``error["type"]`` may also be "zero_trades"/"nan_stats" (degenerate results that are
    not exceptions) or "truncated" (a reply cut off) and is then passed through. With the
    optional ``error["code"]``, a syntax error on the last line counts as "truncated".
    """
    etype = str(error.get("type") or "")
    message = str(error.get("message") or "")
    tb = str(error.get("traceback") or "")
    if etype in {"zero_trades", "nan_stats", "truncated"}:
        return etype
    if not etype and tb:
        last = [ln for ln in tb.strip().splitlines() if ln and not ln.startswith(" ")]
        m = EXC_LINE.match(last[-1]) if last else None
        if m:
            etype, message = m.group(1), m.group(2) or ""
    cls = _simple(etype.rsplit(".", 1)[-1], message)
    if cls == "syntax" and (_at_end(error) or (isinstance(error.get("code"), str)
                                                and is_truncated(error["code"]))):
        return "truncated"
    if cls in {"indicator_error", "other"}:
        cause = _cause(tb)
        if cause is not None:
            inner = _simple(*cause)
            if inner not in {"other", "syntax", "truncated"}:
                return inner
    return cls

"""Parse backtesting.py's printed stats block (``print(stats)``) out of a stdout tail.

Script-mode strategies print their own results; this recovers them, tolerantly and as
UNTRUSTED data (``stats_source: "stdout"``). Stdlib only: it runs inside the sandbox.

A block starts at a ``Start`` line and runs over consecutive ``<key>  <value>`` lines; it
is complete when it holds ``Return [%]`` and ``# Trades``. The last complete block in the
text wins. Values are typed: numbers -> float (``--``/``NaN``/``NaT`` -> nan, ``inf``
kept), ``# Trades`` -> int, timestamps -> ISO-8601 strings, durations -> seconds (float),
``_strategy`` -> its repr string; ``_equity_curve``/``_trades`` are skipped.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator

from executor.types import KNOWN_KEYS

REQUIRED = ("Return [%]", "# Trades")
SKIPPED = ("_equity_curve", "_trades")
NAN_WORDS = {"--", "nan", "NaN", "NaT", "None", "<NA>"}
_KNOWN_RE = re.compile(
    "(" + "|".join(re.escape(k) for k in sorted(KNOWN_KEYS, key=len, reverse=True)) + r")\s+(\S.*)"
)
_GENERIC_RE = re.compile(r"([A-Za-z#_][\w .&%$()\[\]#/-]*?)\s{2,}(\S.*)")
MAX_BLOCK_LINES = 60
_AFTER_START_RE = re.compile(r"[ \t]{2,}\S")
_TIMEDELTA_RE = re.compile(r"(-?\d+) days? ([+-]?)(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)")
_TIMESTAMP_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2}:?\d{2}|Z)?"
)
_NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|inf|infinity)",
                        re.IGNORECASE)


def parse_stats_block(text: str) -> dict[str, object] | None:
    """The last complete printed stats block in ``text`` as a typed dict, else None."""
    end = len(text)
    while True:
        pos = text.rfind("Start", 0, end)
        if pos < 0:
            return None
        # the "Start" must begin a line (or follow a space) and be followed by a value;
        # every look is bounded so megabytes of noise full of "Start" stay linear
        prefix_ok = pos == 0 or text[pos - 1] in " \t\r\n"
        if prefix_ok and _AFTER_START_RE.match(text, pos + 5, pos + 205):
            block = _parse_from(text, pos)
            if block is not None:
                return block
        end = pos


def _parse_from(text: str, pos: int) -> dict[str, object] | None:
    out: dict[str, object] = {}
    lines = _lines(text, pos)
    after: list[str] = []
    for j, raw in enumerate(lines):
        kv = _split(raw.strip())
        if kv is None or j >= MAX_BLOCK_LINES or (kv[0] == "Start" and out) or kv[0] in out:
            after.append(raw)
            break
        key, value = kv
        out[key] = None if key in SKIPPED else _typed(key, value)
        if key == "_trades":  # always the last row backtesting prints
            break
    for key in SKIPPED:
        out.pop(key, None)
    if not all(k in out for k in REQUIRED):
        return None
    name = out.get("_strategy")
    if isinstance(name, str) and name.endswith("..."):  # pandas cut it at 20 characters
        after.extend(itertools.islice(lines, 8))
        out["_strategy"] = _full_strategy_name(name[:-3], after)
    return out


def _lines(text: str, pos: int) -> Iterator[str]:
    """Lines from ``pos``, lazily; CR-overwritten text keeps its last segment."""
    while pos < len(text):
        nl = text.find("\n", pos, pos + 4096)
        stop = nl if nl >= 0 else min(len(text), pos + 4096)
        yield text[pos:stop].rstrip("\r").rsplit("\r", 1)[-1]
        if nl < 0:
            return
        pos = nl + 1


def _full_strategy_name(prefix: str, following: list[str]) -> str:
    """The untruncated repr when the script also did ``print(stats._strategy)``."""
    for raw in following:
        line = raw.strip()
        if line.startswith(prefix) and line.endswith(")") and "  " not in line:
            return line
    return prefix + "..."


def _split(line: str) -> tuple[str, str] | None:
    if not line or line.startswith("dtype:"):
        return None
    m = _KNOWN_RE.fullmatch(line) or _GENERIC_RE.fullmatch(line)
    if m is None:
        return None
    return m.group(1).strip(), m.group(2).strip()


def _typed(key: str, value: str) -> object:
    if key == "_strategy":
        return value
    if value in NAN_WORDS:
        return math.nan
    if key == "# Trades":
        try:
            return int(float(value))
        except ValueError:
            return value
    m = _TIMEDELTA_RE.fullmatch(value)
    if m:
        days, sign, h, mi, s = m.groups()
        secs = int(h) * 3600 + int(mi) * 60 + float(s)
        return int(days) * 86400.0 + (-secs if sign == "-" else secs)
    m = _TIMESTAMP_RE.fullmatch(value)
    if m:
        date, clock, tz = m.groups()
        if clock.count(":") == 1:
            clock += ":00"
        return f"{date}T{clock}{'+00:00' if tz == 'Z' else (tz or '')}"
    if _NUMBER_RE.fullmatch(value):
        return float(value)
    return value

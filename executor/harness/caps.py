"""What the harness parent accepts from a worker: message kinds checked against the run's
mode, and every field bounded before it is kept or forwarded.

A worker runs strategy code, so anything it sends may be forged or huge. The frame size
is already capped (:mod:`executor.harness.framing`); here each message is reduced to the
fields its kind allows, with strings, lists and dicts cut to fixed sizes, so a worker
cannot inflate the parent or the result line (a 60 MB ``str(strategy)`` once did). A
message that is not one of the kinds the mode allows is a protocol violation: the set
is reported ``tampered`` and the worker killed.
"""

from __future__ import annotations

import math
from typing import Any

RUN_STATUSES = ("ok", "error", "memory", "timeout")
IMPORT_STATUSES = ("error", "memory")
MAX_STR = 4000
MAX_TRACEBACK = 12000
MAX_LIST = 50
MAX_STATS_KEYS = 100


def _str(v: Any, n: int = MAX_STR) -> str:
    return v[:n] if isinstance(v, str) else ""


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and abs(v) < 1 << 53 else None


def _scalar(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v if isinstance(v, int) or math.isfinite(v) or math.isnan(v) or math.isinf(v) else None
    return _str(v, 100)


def _strs(v: Any, n: int = 500) -> list[str]:
    return [_str(x, n) for x in v[:MAX_LIST]] if isinstance(v, list) else []


def _timings(v: Any) -> dict[str, float]:
    if not isinstance(v, dict):
        return {}
    return {_str(k, 40): float(x) for k, x in list(v.items())[:20]
            if isinstance(x, int | float) and not isinstance(x, bool)}


def error(v: Any) -> dict[str, Any] | None:
    if not isinstance(v, dict):
        return None
    out: dict[str, Any] = {
        "type": _str(v.get("type"), 200), "class": _str(v.get("class"), 50),
        "message": _str(v.get("message")), "traceback": _str(v.get("traceback"), MAX_TRACEBACK)[-MAX_TRACEBACK:],
        "line": _int(v.get("line")), "source_line": _str(v.get("source_line"), 300) or None,
    }
    if _int(v.get("column")) is not None:
        out["column"] = _int(v.get("column"))
    cause = v.get("cause")
    if isinstance(cause, dict):
        out["cause"] = {"type": _str(cause.get("type"), 200), "message": _str(cause.get("message"), 2000),
                        "line": _int(cause.get("line"))}
    return out


def _stats(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        return {}
    return {_str(k, 100): _scalar(x) for k, x in list(v.items())[:MAX_STATS_KEYS]}


def checked(raw: dict[str, Any], blob: bytes, script: bool,
            nonce: str = "") -> tuple[str, dict[str, Any], str | None]:
    """``(kind, bounded doc, problem)``; kind is import_failed | ack | result | script_done,
    or foreign (a message without the current set's nonce: to be ignored)."""
    if blob:
        return "", {}, "a worker sent binary data; results travel as the order log only"
    idx = _int(raw.get("index"))
    status = raw.get("status")
    if not nonce or raw.get("nonce") != nonce:
        return "foreign", {}, None  # not about the set this worker runs: ignored
    if idx == -1:
        if status not in IMPORT_STATUSES:
            return "", {}, f"an import report with status {str(status)[:20]!r}"
        return "import_failed", {"status": status, "error": error(raw.get("error")),
                                 "timings": _timings(raw.get("timings")),
                                 "mapped_paths": _strs(raw.get("mapped_paths"))}, None
    if idx is None or idx < 0:
        return "", {}, "a message without a parameter-set index"
    if raw.get("ack") is True and set(raw) == {"index", "nonce", "ack"}:
        return "ack", {"index": idx}, None
    if raw.get("script_done"):
        if not script:
            return "", {}, "a script-mode report (script_done) in a strategy-mode run"
        return "script_done", {"index": idx, "status": "ok", "timings": _timings(raw.get("timings")),
                               "mapped_paths": _strs(raw.get("mapped_paths"))}, None
    if script:
        return "", {}, "a strategy result in a script-mode run"
    if status not in RUN_STATUSES:
        return "", {}, f"a result with status {str(status)[:20]!r}"
    doc: dict[str, Any] = {"index": idx, "status": status, "error": error(raw.get("error")),
                           "timings": _timings(raw.get("timings")), "warnings": _strs(raw.get("warnings")),
                           "mapped_paths": _strs(raw.get("mapped_paths"))}
    if status == "ok":
        log = raw.get("orderlog")
        if not isinstance(log, dict):
            return "", {}, "an ok result without an order log"
        doc["orderlog"] = log  # bounded by the frame size; shape checked by the host's replay
        doc["claimed_stats"] = _stats(raw.get("claimed_stats"))
        doc["strategy_name"] = _str(raw.get("strategy_name"), 100)
    return "result", doc, None

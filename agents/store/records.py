"""Pure helpers that turn loop objects into row values (no database access)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from agents.numbers import finite
from agents.research.jsonsafe import clean

__all__ = [
    "canonical_json", "field_of", "git_commit", "params_hash", "result_row",
    "sha256_text",
]

# backtesting.py stats key -> backtest_results column
STAT_COLUMNS = {
    "Return [%]": "total_return",
    "Sharpe Ratio": "sharpe_ratio",
    "Max. Drawdown [%]": "max_drawdown",
    "Win Rate [%]": "win_rate",
    "# Trades": "num_trades",
}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(clean(value), sort_keys=True, separators=(",", ":"), default=str)


def params_hash(params: dict[str, Any] | None) -> str:
    return sha256_text(canonical_json(params or {}))


def field_of(obj: Any, name: str, default: Any = None) -> Any:
    """Read ``name`` from a dict or an object (dataclass, pydantic model)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


SERIES_TRADES_CAP = 300


def result_row(result: Any, *, keep_series: bool = True) -> dict[str, Any]:
    """Columns from a ``RunResult`` (or its ``to_dict()``), without version/dataset keys.

    ``keep_series`` stores the (downsampled) equity curve and the first trades too;
    optimisation trials pass False so thousands of trials stay small."""
    d = _fields_of(result)
    stats = clean(d.get("stats") or {})
    row: dict[str, Any] = {col: finite(stats.get(key)) for key, col in STAT_COLUMNS.items()}
    if row["num_trades"] is not None:
        row["num_trades"] = int(row["num_trades"])
    status = str(d.get("status") or "error")
    error = d.get("error") or {}
    message = error.get("message") if isinstance(error, dict) else str(error)
    error_class = (error.get("class") or error.get("type")) if isinstance(error, dict) else None
    violations = d.get("violations") or []
    if status != "ok" and not message and violations:
        v = violations[0]
        message = f"{v.get('line')}:{v.get('col')} {v.get('rule')}: {v.get('message')}"
        error_class = error_class or "Violation"
    if status != "ok":
        error_class = error_class or status
    timings = d.get("timings") or {}
    exec_time = finite(timings.get("wall_s", timings.get("total_s", timings.get("total",
                     timings.get("wall", timings.get("backtest"))))))
    if exec_time is None and timings:
        exec_time = sum(x for x in (finite(t) for t in timings.values()) if x is not None)
    row.update(
        status=status,
        stats_json=canonical_json(stats),
        execution_time=exec_time,
        error_message=message or None,
        error_class=error_class,
        data_sha256=str(d.get("data_sha256") or ""),
        backend=str(d.get("backend") or ""),
        package_versions_json=canonical_json(d.get("versions") or {}),
        run_id=str(d.get("run_id") or ""),
        params=d.get("params") or {},
        resources_json=canonical_json(d.get("resources") or {}),
        equity_json=canonical_json(d.get("equity_curve")) if keep_series and d.get("equity_curve") else None,
        trades_json=(canonical_json((d.get("trades") or [])[:SERIES_TRADES_CAP])
                     if keep_series and d.get("trades") else None),
    )
    return row


def _fields_of(result: Any) -> dict[str, Any]:
    """The result's fields, read in place: ``RunResult.to_dict()`` (``dataclasses.asdict``)
    deep-copies the equity curve and every trade, which cost a fifth of the loop's time
    when each grid run is recorded; nothing here writes to what it reads."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


@functools.cache
def git_commit(cwd: str | None = None) -> str:
    """HEAD of the repository rbi runs from ('' when not a git checkout)."""
    here = cwd or str(Path(__file__).resolve().parents[2])
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""

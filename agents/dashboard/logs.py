"""Request / event logs for the dashboard: one line each, JSON or text (``log_format``)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

__all__ = ["event_logger", "log_event"]


class _Formatter(logging.Formatter):
    def __init__(self, json_lines: bool) -> None:
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {}) or {}
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        ts += f".{int(record.msecs):03d}Z"
        if self.json_lines:
            doc = {"ts": ts, "level": record.levelname, "logger": record.name,
                   "event": record.getMessage(), **fields}
            if record.exc_info:
                doc["exc"] = self.formatException(record.exc_info)
            return json.dumps(doc, default=str, separators=(",", ":"))
        kv = " ".join(f"{k}={v}" for k, v in fields.items())
        text = f"{ts} {record.levelname} {record.name}: {record.getMessage()} {kv}".rstrip()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def event_logger(log_format: str = "text", stream: Any = None,
                 name: str = "rbi.dashboard") -> logging.Logger:
    """A logger writing one line per event to ``stream`` (stderr) in ``log_format``."""
    log = logging.getLogger(name)
    log.handlers.clear()
    log.propagate = False
    log.setLevel(logging.INFO)
    h = logging.StreamHandler(stream or sys.stderr)
    h.setFormatter(_Formatter(log_format == "json"))
    log.addHandler(h)
    return log


def log_event(log: logging.Logger, event: str, level: int = logging.INFO,
              exc_info: bool = False, **fields: Any) -> None:
    """One line: ``event`` plus ``fields`` (ids, timings) as JSON keys or ``k=v`` text."""
    log.log(level, event, extra={"fields": fields}, exc_info=exc_info)

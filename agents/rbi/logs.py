"""Logging for the CLI: a file under ``results/logs`` plus stderr; text or JSON lines."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.settings import Settings

__all__ = ["setup_logging"]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
            "logger": record.name, "msg": record.getMessage(),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def setup_logging(settings: Settings, *, console_level: int = logging.WARNING) -> Path | None:
    """Configure the ``rbi`` logger; returns the log file path (None if not writable)."""
    root = logging.getLogger("rbi")
    root.handlers.clear()
    root.setLevel(logging.DEBUG)
    root.propagate = False
    fmt: logging.Formatter
    if settings.log_format == "json":
        fmt = JsonFormatter()
    else:
        fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(fmt)
    root.addHandler(console)
    path: Path | None = settings.log_file
    try:
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(path, encoding="utf-8")
    except (OSError, AssertionError):
        return None
    fh.setLevel(getattr(logging, str(settings.log_level).upper(), logging.INFO))
    fh.setFormatter(fmt)
    root.addHandler(fh)
    return path

"""Human output (rich tables) and JSON output for the commands."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["console", "emit_json", "fmt", "table"]

# A pipe or a log file has no width: use a wide one so tables stay readable there.
console = Console(highlight=False, soft_wrap=True,
                  width=None if sys.stdout.isatty() else 160)


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


def fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*(fmt(x) for x in r))
    console.print(t)

"""The dashboard's side of the database: read-only connections (from the store) and a
tolerant JSON decoder for the text columns the pages show."""

from __future__ import annotations

import json
from typing import Any

from agents.store.readonly import ReadOnlyDB, has_table

__all__ = ["ReadOnlyDB", "has_table", "loads"]


def loads(text: Any, default: Any = None) -> Any:
    """JSON text -> value; anything unreadable -> ``default``."""
    if text is None or text == "":
        return default
    if not isinstance(text, str | bytes):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return default

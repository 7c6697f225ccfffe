"""column_key: lowercase / padded OHLCV names -> the harness's capitalised columns."""

from __future__ import annotations

import ast

from agents.codefix.source import Edit, Source, dotted
from agents.codefix.types import Change

OHLCV = {"open": "Open", "high": "High", "low": "Low", "close": "Close", "volume": "Volume",
         "adj close": "Close", "adj_close": "Close", "adjclose": "Close", "vol": "Volume",
         "o": "Open", "h": "High", "l": "Low", "c": "Close", "v": "Volume"}
LONG_ONLY = {k: v for k, v in OHLCV.items() if len(k) > 1}


def _proper(name: str, short_ok: bool) -> str | None:
    table = OHLCV if short_ok else LONG_ONLY
    target = table.get(name.strip().lower())
    return target if target and target != name else None


def column_case(src: Source) -> tuple[list[Edit], list[Change]]:
    """``self.data.close`` -> ``self.data.Close``; ``x['close']`` -> ``x['Close']``."""
    edits: list[Edit] = []
    changes: list[Change] = []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Attribute) and dotted(node.value) == "self.data" \
                and (new := _proper(node.attr, short_ok=False)):
            start, end = src.span(node)
            edits.append(Edit(start, end, f"{src.text(node.value)}.{new}"))
            changes.append(Change("column-case", node.lineno,
                                  f"self.data.{node.attr} -> self.data.{new}"))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str) and not isinstance(node.value, ast.Dict) \
                and (new := _proper(node.slice.value, short_ok=False)):
            start, end = src.span(node.slice)
            edits.append(Edit(start, end, repr(new)))
            changes.append(Change("column-case", node.lineno,
                                  f"[{node.slice.value!r}] -> [{new!r}]"))
    return edits, changes

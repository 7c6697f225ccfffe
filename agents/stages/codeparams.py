"""Rewrite the parameter class attributes of a strategy module (``rsi_period = 14``) so an
optimised version's code carries its own parameters (and gets its own code hash)."""

from __future__ import annotations

import ast
from typing import Any

from agents.codefix.source import strategy_class_names

__all__ = ["set_class_params"]


def set_class_params(code: str, params: dict[str, Any]) -> str | None:
    """New code with ``params`` as the defaults of the (last) Strategy subclass, or None
    when one of them is not a simple literal class attribute there."""
    tree = ast.parse(code)
    names = strategy_class_names(tree)
    if not names:
        return None
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == names[-1])
    spans: dict[str, ast.expr] = {}
    for node in cls.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            spans[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            spans[node.target.id] = node.value
    if any(k not in spans for k in params):
        return None
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln.encode("utf-8")))
    raw = code.encode("utf-8")
    edits = []
    for k, v in params.items():
        value = spans[k]  # col offsets are UTF-8 byte offsets, as ``raw`` is
        if value.end_lineno is None or value.end_col_offset is None:
            return None
        start = offsets[value.lineno - 1] + value.col_offset
        end = offsets[value.end_lineno - 1] + value.end_col_offset
        edits.append((start, end, repr(v).encode()))
    for start, end, text in sorted(edits, reverse=True):
        raw = raw[:start] + text + raw[end:]
    return raw.decode("utf-8")

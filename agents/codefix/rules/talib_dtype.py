"""talib_dtype: talib wants float64 arrays ("input array type is not double")."""

from __future__ import annotations

import ast

from agents.codefix.rules.talib_info import input_names, talib_calls
from agents.codefix.source import Edit, Source, dotted
from agents.codefix.types import Change


def talib_aliases(tree: ast.Module) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.asname or a.name for a in node.names if a.name == "talib"}
    return out or {"talib"}


def _wrapped(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call):
        d = dotted(node.func)
        if d.endswith(("asarray", "astype", "array")) and any(
                k.arg == "dtype" for k in node.keywords) or d.endswith("astype"):
            return True
    return False


def _is_param(node: ast.expr) -> bool:
    """Arguments that are periods/multipliers rather than arrays."""
    if isinstance(node, ast.Constant | ast.UnaryOp):
        return True
    d = dotted(node)
    return bool(d) and d.startswith("self.") and d.count(".") == 1 and not d.startswith(
        "self.data")


def talib_float(src: Source) -> tuple[list[Edit], list[Change]]:
    """Wrap array arguments of ``talib.X(...)`` / ``self.I(talib.X, ...)`` in
    ``np.asarray(..., dtype=float)``."""
    aliases = talib_aliases(src.tree)
    edits: list[Edit] = []
    changes: list[Change] = []
    for _node, func, args in talib_calls(src.tree, aliases):
        n_inputs = len(input_names(func) or ())
        args = args[:n_inputs] if n_inputs else [a for a in args if not _is_param(a)]
        for arg in args:
            if _wrapped(arg) or _is_param(arg):
                continue
            start, end = src.span(arg)
            edits.append(Edit(start, end, f"np.asarray({src.text(arg)}, dtype=float)"))
            changes.append(Change("talib-float64", arg.lineno,
                                  f"{src.text(arg)} -> np.asarray(..., dtype=float) for talib.{func}"))
    return edits, changes

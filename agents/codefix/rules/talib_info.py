"""What talib functions take, read from talib's own metadata."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import lru_cache

from agents.codefix.source import calls, dotted


@lru_cache(maxsize=256)
def input_names(func: str) -> tuple[str, ...] | None:
    """Price inputs of ``talib.<func>`` in order (e.g. ATR -> high, low, close); None if
    talib has no such function."""
    try:
        import talib.abstract as abstract  # type: ignore[import-untyped]

        info = abstract.Function(func.upper()).info  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - unknown function name or talib missing
        return None
    out: list[str] = []
    for value in info["input_names"].values():
        out.extend([value] if isinstance(value, str) else value)
    return tuple(out)


def talib_target(node: ast.Call, aliases: set[str]) -> tuple[str, list[ast.expr]] | None:
    """For ``talib.X(a, b)`` or ``self.I(talib.X, a, b)``: ("X", [a, b]); else None."""
    d = dotted(node.func)
    if d.split(".")[0] in aliases and d.count(".") == 1:
        return d.split(".")[1], list(node.args)
    if d.endswith(".I") and node.args and dotted(node.args[0]).split(".")[0] in aliases:
        return dotted(node.args[0]).split(".")[-1], list(node.args[1:])
    return None


def talib_calls(tree: ast.Module, aliases: set[str]
                ) -> Iterator[tuple[ast.Call, str, list[ast.expr]]]:
    """(call, function name, positional args) for every talib call, direct or via self.I."""
    for node in calls(tree):
        target = talib_target(node, aliases)
        if target is not None:
            yield node, target[0], target[1]

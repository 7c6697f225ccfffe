"""indicator_error: ``self.I(...)`` misuse and talib calls with missing price inputs."""

from __future__ import annotations

import ast

from agents.codefix.rules.talib_dtype import talib_aliases
from agents.codefix.rules.talib_info import input_names, talib_target
from agents.codefix.source import Edit, Source, calls, dotted
from agents.codefix.types import Change

I_KW = {"name", "plot", "overlay", "color", "scatter"}


def _price_root(args: list[ast.expr], src: Source) -> tuple[str, str] | None:
    """('self.data', 'attr') for ``self.data.Close``; ('df', 'sub') for ``df['Close']``."""
    for a in args:
        if isinstance(a, ast.Attribute) and a.attr in {"Open", "High", "Low", "Close", "Volume"}:
            return src.text(a.value), "attr"
        if isinstance(a, ast.Subscript) and isinstance(a.slice, ast.Constant) \
                and a.slice.value in {"Open", "High", "Low", "Close", "Volume"}:
            return src.text(a.value), "sub"
    return None


def _is_price(a: ast.expr) -> bool:
    return isinstance(a, ast.Attribute) and a.attr in {"Open", "High", "Low", "Close", "Volume"} \
        or isinstance(a, ast.Subscript) and isinstance(a.slice, ast.Constant) \
        and a.slice.value in {"Open", "High", "Low", "Close", "Volume"}


def _inputs_text(root: tuple[str, str], names: tuple[str, ...]) -> list[str]:
    base, form = root
    cols = [n.capitalize() if n in {"open", "high", "low", "close", "volume"} else "Close"
            for n in names]
    return [f"{base}.{c}" if form == "attr" else f"{base}[{c!r}]" for c in cols]


def indicator_calls(src: Source) -> tuple[list[Edit], list[Change]]:
    aliases = talib_aliases(src.tree)
    edits: list[Edit] = []
    changes: list[Change] = []
    for node in calls(src.tree):
        d = dotted(node.func)
        # self.I(talib.RSI(close, 14)) -> self.I(talib.RSI, close, 14)
        if d == "self.I" and node.args and isinstance(node.args[0], ast.Call):
            inner = node.args[0]
            extra = [src.text(a) for a in node.args[1:]] + [src.text(k) for k in node.keywords]
            if dotted(inner.func):
                parts = [src.text(inner.func)] + [src.text(a) for a in inner.args] \
                    + [src.text(k) for k in inner.keywords] + extra
            else:
                parts = [f"lambda: {src.text(inner)}"] + extra
            new = f"self.I({', '.join(parts)})"
            edits.append(Edit(*src.span(node), new))
            changes.append(Change("indicator-call", node.lineno,
                                  "self.I() needs a function and its arguments, not the "
                                  f"result of a call: -> {new}"))
            continue
        target = talib_target(node, aliases)
        if target is None:
            continue
        func, args = target
        names = input_names(func)
        prices = [a for a in args if _is_price(a)]
        root = _price_root(args, src)
        if not names or root is None or len(prices) >= len(names) or len(prices) != len(
                [a for a in args[:len(prices)] if _is_price(a)]):
            continue
        params = [src.text(a) for a in args[len(prices):]] + [src.text(k) for k in node.keywords]
        new_inputs = _inputs_text(root, names)
        if d == "self.I":
            text = f"self.I({src.text(node.args[0])}, " + ", ".join(new_inputs + params) + ")"
        else:
            text = f"{d}(" + ", ".join(new_inputs + params) + ")"
        edits.append(Edit(*src.span(node), text))
        changes.append(Change("talib-inputs", node.lineno,
                              f"talib.{func} takes {', '.join(names)}: passed "
                              f"{', '.join(new_inputs)}"))
    return edits, changes

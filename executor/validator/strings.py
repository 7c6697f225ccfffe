"""Rules about string literals: format fields that walk attributes, and fake stats blocks."""

from __future__ import annotations

import ast
import re
import unicodedata

from executor.types import KNOWN_KEYS as _STATS_KEYS
from executor.types import Violation
from executor.validator import policy as P
from executor.validator.guards import format_fields

_STATS_LINE = re.compile(
    r"^\s*(?:" + "|".join(re.escape(k) for k in _STATS_KEYS) + r")\s{2,}\S", re.M)
_FIELD_PART = re.compile(r"\.([^.\[]*)|\[([^\]]*)\]")


def _bad_field(field: str) -> str | None:
    """The offending part of a format field such as ``0.__class__`` or ``x[_secret]``."""
    m = re.match(r"[^.\[]*", field)
    rest = field[m.end() if m else 0:]
    for part in _FIELD_PART.finditer(rest):
        name = unicodedata.normalize("NFKC", part.group(1) or part.group(2) or "")
        if (name.startswith("_") or name in P.DANGEROUS_MODULES or name in P.CODE_ATTRS
                or name in P.IO_ATTRS):
            return name
    return None


def bad_format_field(text: str) -> str | None:
    if "{" not in text:
        return None
    for field in format_fields(text) or ():
        bad = _bad_field(field)
        if bad:
            return bad
    return None


def check_strings(nodes: list[ast.AST]) -> list[Violation]:
    out: list[Violation] = []
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            bad = bad_format_field(node.value)
            if bad:
                out.append(Violation(node.lineno, node.col_offset, "format-attribute",
                                     f"format field reaches {bad!r}",
                                     "format plain values: f'{value:.2f}'"))
            if len(_STATS_LINE.findall(node.value)) >= 3:
                out.append(_fake(node))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if len(_STATS_LINE.findall(text)) >= 3:
                out.append(_fake(node))
        elif isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys
                    if isinstance(k, ast.Constant) and k.value in _STATS_KEYS]
            if len(keys) >= 3 and all(isinstance(v, ast.Constant) for v in node.values):
                out.append(_fake(node))
    return out


def _fake(node: ast.AST) -> Violation:
    return Violation(getattr(node, "lineno", 1), getattr(node, "col_offset", 0), "fake-stats",
                     "the file contains a hard-coded backtesting.py stats block",
                     "print(stats) from a real bt.run(); never print made-up results")


def dynamic_string(node: ast.AST) -> bool:
    """A string assembled at run time: concatenation, f-string, join, chr()."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return any(isinstance(s, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call))
                   for s in (node.left, node.right))
    if isinstance(node, ast.Call):
        f = node.func
        return (isinstance(f, ast.Attribute) and f.attr in ("join", "format", "replace",
                                                          "decode", "lower", "upper", "strip")
                or isinstance(f, ast.Name) and f.id in ("chr", "str", "bytes"))
    return False


def format_receiver_ok(recv: ast.AST, str_values: dict[str, list[ast.AST]]) -> bool:
    """``"...".format()`` is fine on literals and on names only ever bound to literals."""
    if isinstance(recv, ast.Constant):
        return True
    if isinstance(recv, ast.Name) and recv.id in str_values:
        return all(isinstance(v, ast.Constant) for v in str_values[recv.id])
    return False

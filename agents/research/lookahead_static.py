"""Static look-ahead hints in strategy code (AST, no execution).

Hints, each with a line:

* ``negative_shift``: ``.shift(-k)`` / ``.shift(periods=-k)`` / ``.diff(-k)`` /
  ``.pct_change(-k)`` / ``np.roll(x, -k)``: the value at bar t comes from bar t+k;
* ``centered_window``: ``.rolling(..., center=True)``: half the window is in the future;
* ``whole_frame_statistic``: in ``init``, ``.mean()``/``.max()``/``.std()``/... (or
  ``np.mean(...)``-style calls) over a whole series, not a rolling/expanding window:
  a threshold computed from data the strategy has not seen yet;
* ``last_value_in_init``: ``self.data.Close[-1]`` / ``.iloc[-1]`` inside ``init``: the
  LAST bar of the whole series (in ``next`` the same expression is the current bar and
  fine).

These are hints; the dynamic truncation check (:mod:`agents.research.lookahead`) decides.
"""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Finding", "static_hints"]

STAT_METHODS = {"mean", "max", "min", "std", "var", "median", "quantile", "sum", "idxmax",
                "idxmin", "describe", "nlargest", "nsmallest", "rank", "cummax"}
NP_STATS = {"mean", "max", "min", "std", "var", "median", "percentile", "quantile", "nanmean",
            "nanmax", "nanmin", "nanstd", "nanmedian", "nanpercentile", "amax", "amin", "average"}
WINDOWED = {"rolling", "expanding", "ewm", "resample", "groupby"}
SHIFT_LIKE = {"shift", "diff", "pct_change"}


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    line: int | None = None
    bar: int | None = None
    time: str | None = None
    severity: str = "hint"  # "hint" (static) | "fatal" (proven by the dynamic check)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _negative(node: ast.AST | None) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant) and bool(node.operand.value)
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool) and node.value < 0


def _chain_has(node: ast.AST, names: set[str]) -> bool:
    """Whether a method in ``names`` is called anywhere down the receiver chain."""
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in names:
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def _mentions_data(node: ast.AST, data_names: set[str]) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr == "data" and isinstance(n.value, ast.Name) \
                and n.value.id == "self":
            return True
        if isinstance(n, ast.Name) and n.id in data_names:
            return True
    return False


def _init_data_names(fn: ast.FunctionDef) -> set[str]:
    """Local names in ``init`` bound to something derived from ``self.data``."""
    names: set[str] = {a.arg for n in ast.walk(fn) if isinstance(n, ast.Lambda)
                       for a in n.args.args}
    for _ in range(3):  # a few passes resolve simple chains a = self.data.Close; b = a
        for n in ast.walk(fn):
            if isinstance(n, ast.Assign) and _mentions_data(n.value, names):
                for t in n.targets:
                    names |= {x.id for x in ast.walk(t) if isinstance(x, ast.Name)}
    return names


def _call_hints(node: ast.Call, out: list[Finding]) -> None:
    f = node.func
    if isinstance(f, ast.Attribute) and f.attr in SHIFT_LIKE:
        arg = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "periods"), None)
        if arg is not None and _negative(arg):
            out.append(Finding("negative_shift", f".{f.attr}({ast.unparse(arg)}) reads future "
                               "bars: the value at bar t comes from a later bar", node.lineno))
    if isinstance(f, ast.Attribute) and f.attr == "roll" and len(node.args) >= 2 \
            and _negative(node.args[1]):
        out.append(Finding("negative_shift", "np.roll with a negative shift pulls future bars "
                           "into the past (and wraps the end around)", node.lineno))
    if isinstance(f, ast.Attribute) and f.attr == "rolling":
        for k in node.keywords:
            if k.arg == "center" and isinstance(k.value, ast.Constant) and k.value.value:
                out.append(Finding("centered_window", "rolling(..., center=True) puts half "
                                   "the window after bar t", node.lineno))


def _init_hints(fn: ast.FunctionDef, out: list[Finding]) -> None:
    data_names = _init_data_names(fn)
    for n in ast.walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            attr = n.func.attr
            recv = n.func.value
            if attr in STAT_METHODS and _mentions_data(recv, data_names) \
                    and not _chain_has(recv, WINDOWED):
                out.append(Finding("whole_frame_statistic", f".{attr}() over the whole series "
                                   "in init() uses bars the strategy has not seen yet; use a "
                                   "rolling/expanding window", n.lineno))
            elif attr in NP_STATS and isinstance(recv, ast.Name) and recv.id in ("np", "numpy") \
                    and n.args and _mentions_data(n.args[0], data_names) \
                    and not _chain_has(n.args[0], WINDOWED):
                out.append(Finding("whole_frame_statistic", f"np.{attr}(...) over the whole "
                                   "series in init() peeks at future bars", n.lineno))
        if isinstance(n, ast.Subscript) and _negative(n.slice) \
                and _mentions_data(n.value, data_names):
            out.append(Finding("last_value_in_init", f"{ast.unparse(n)} in init() is the LAST "
                               "bar of the whole series, not the current one", n.lineno))


def static_hints(code: str) -> list[Finding]:
    """Look-ahead hints in ``code`` sorted by line; [] when the code does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    out: list[Finding] = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            _call_hints(n, out)
        if isinstance(n, ast.FunctionDef) and n.name == "init":
            _init_hints(n, out)
    seen: set[tuple[str, int | None]] = set()
    uniq = []
    for f in sorted(out, key=lambda f: (f.line or 0, f.kind)):
        if (f.kind, f.line) not in seen:
            seen.add((f.kind, f.line))
            uniq.append(f)
    return uniq

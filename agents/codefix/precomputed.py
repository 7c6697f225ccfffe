"""Columns a script computed on its own frame -> indicators computed in ``init()``.

A common script pattern::

    data['SMA200'] = talib.SMA(data['Close'], timeperiod=200)      # module level
    ...
    if self.data.Close[-1] > self.data.SMA200[-1]:                  # in the strategy

The harness's frame has only OHLCV, so the column assignments move into a helper
``_rbi_columns(df)`` (same expressions, frame renamed ``df``) that ``init()`` calls on
``self.data.df``; ``self.data.SMA200`` becomes the indicator ``self.SMA200``. Only
expressions that read OHLCV columns or earlier computed columns are moved; anything
else (``data.loc[mask, 'x'] = 1``, ...) stays unresolved.
"""

from __future__ import annotations

import ast
import re

from agents.codefix.driver import find_driver
from agents.codefix.rules.columns import OHLCV
from agents.codefix.source import Edit, Source, apply_edits, dotted, strategy_class_names
from agents.codefix.types import Change

HELPER = "_rbi_columns"


def _column_assignments(src: Source) -> tuple[list[tuple[str, ast.Assign, str]], set[str]]:
    """Removed ``frame['col'] = expr`` statements in order (col, stmt, frame), and the
    columns some other removed statement also touches (``data.loc[m, 'col'] = 1``...)."""
    drv = find_driver(src)
    out: list[tuple[str, ast.Assign, str]] = []
    touched: set[str] = set()
    for stmt in drv.removed:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(t := stmt.targets[0], ast.Subscript) \
                and isinstance(t.value, ast.Name) and isinstance(t.slice, ast.Constant) \
                and isinstance(t.slice.value, str) and t.slice.value.lower() not in OHLCV:
            out.append((t.slice.value, stmt, t.value.id))
        else:
            touched |= _written_columns(stmt)
    return out, touched


def _written_columns(stmt: ast.stmt) -> set[str]:
    """Column names a statement writes: assignment targets (``data.loc[m, 'x'] = 1``,
    ``data['x'] += 1``) and in-place calls (``data['x'].fillna(0, inplace=True)``)."""
    parts: list[ast.AST] = []
    for n in ast.walk(stmt):
        if isinstance(n, ast.Assign):
            parts += n.targets
        elif isinstance(n, ast.AugAssign | ast.AnnAssign):
            parts.append(n.target)
        elif isinstance(n, ast.Call) and any(k.arg == "inplace" for k in n.keywords):
            parts.append(n.func)
    out: set[str] = set()
    for p in parts:
        for n in ast.walk(p):
            if isinstance(n, ast.Subscript) and not isinstance(n.ctx, ast.Load):
                keys = n.slice.elts if isinstance(n.slice, ast.Tuple | ast.List) else [n.slice]
                keys = [e for k in keys for e in (k.elts if isinstance(k, ast.List) else [k])]
                out |= {k.value for k in keys
                        if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return out


def _movable(expr: ast.expr, frame: str, known: set[str]) -> bool:
    """Reads only OHLCV / earlier computed columns of ``frame`` (plus module names)."""
    for n in ast.walk(expr):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == frame:
            if not (isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str)
                    and (n.slice.value.lower() in OHLCV or n.slice.value in known)):
                return False
    return True


def _expr_text(src: Source, expr: ast.expr, frame: str) -> str:
    """The expression with the frame renamed to ``df`` (and OHLCV columns capitalised)."""
    start, _ = src.span(expr)
    edits = []
    for n in ast.walk(expr):
        if isinstance(n, ast.Name) and n.id == frame:
            s, e = src.span(n)
            edits.append(Edit(s - start, e - start, "df"))
        elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == frame \
                and isinstance(n.slice, ast.Constant) and str(n.slice.value).lower() in OHLCV:
            s, e = src.span(n.slice)
            edits.append(Edit(s - start, e - start, repr(OHLCV[str(n.slice.value).lower()])))
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) \
                and n.value.id == frame and n.attr.lower() in OHLCV:
            s, e = src.span(n)
            edits.append(Edit(s - start, e - start, f"df[{OHLCV[n.attr.lower()]!r}]"))
    return apply_edits(src.text(expr), edits)


def move_precomputed_columns(src: Source) -> tuple[str, list[Change]]:
    assigned, touched = _column_assignments(src)
    steps: list[tuple[str, str, set[str]]] = []  # (col, expression over df, deps) in order
    movable: set[str] = set()
    first_line: dict[str, int] = {}
    for col, stmt, frame in assigned:
        first_line.setdefault(col, stmt.lineno)
        if col not in touched and _movable(stmt.value, frame, movable):
            deps = {n.slice.value for n in ast.walk(stmt.value) if isinstance(n, ast.Subscript)
                    and isinstance(n.slice, ast.Constant) and n.slice.value in movable}
            steps.append((col, _expr_text(src, stmt.value, frame), deps))
            movable.add(col)
        else:
            movable.discard(col)
            touched.add(col)
    movable -= touched
    while broken := {c for c, _, deps in steps if c in movable and deps - movable}:
        movable -= broken
    if not movable:
        return src.code, []
    classes = [n for n in src.tree.body if isinstance(n, ast.ClassDef)
               and n.name in set(strategy_class_names(src.tree))]
    edits: list[Edit] = []
    changes: list[Change] = []
    for cls in classes:
        used: dict[str, list[ast.AST]] = {}
        for n in ast.walk(cls):
            key: object = None
            if isinstance(n, ast.Attribute) and dotted(n.value) == "self.data":
                key = n.attr
            elif isinstance(n, ast.Subscript) and dotted(n.value) == "self.data" \
                    and isinstance(n.slice, ast.Constant):
                key = n.slice.value
            if isinstance(key, str) and key in movable:
                used.setdefault(key, []).append(n)
        if not used:
            continue
        taken = {dotted(n) for n in ast.walk(cls) if isinstance(n, ast.Attribute)}
        lines = [f"{HELPER}_frame = {HELPER}(self.data.df)"]
        for col, nodes in used.items():
            attr = re.sub(r"\W", "_", col)
            attr = attr if attr.isidentifier() and f"self.{attr}" not in taken else f"col_{attr}"
            lines.append(f"self.{attr} = self.I(lambda: {HELPER}_frame[{col!r}], name={col!r})")
            edits.extend(Edit(*src.span(n), f"self.{attr}") for n in nodes)
            changes.append(Change("precomputed-column", first_line[col],
                                  f"column {col!r} the script computed on its own frame is now "
                                  f"computed in init() as self.{attr}"))
        edits.append(_insert_in_init(src, cls, lines))
    if edits:
        body = "".join(f"    df[{c!r}] = {e}\n" for c, e, _ in steps if c in movable)
        helper = (f"def {HELPER}(df):\n    \"\"\"Columns the original script computed on its "
                  f"data frame.\"\"\"\n    df = df.copy()\n{body}    return df\n\n\n")
        start, _ = src.stmt_span(classes[0])
        edits.append(Edit(start, start, helper))
    return apply_edits(src.code, edits), changes


def _insert_in_init(src: Source, cls: ast.ClassDef, lines: list[str]) -> Edit:
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "init"), None)
    if init is None:
        indent = " " * cls.body[0].col_offset
        text = f"{indent}def init(self):\n" + "".join(f"{indent}    {ln}\n" for ln in lines) + "\n"
        start, _ = src.stmt_span(cls.body[0])
        return Edit(start, start, text)
    first = init.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        first = init.body[1] if len(init.body) > 1 else first  # after a docstring
    indent = " " * first.col_offset
    start, _ = src.stmt_span(first)
    return Edit(start, start, "".join(f"{indent}{ln}\n" for ln in lines))

"""series_vs_array: pandas methods called on backtesting's numpy ``_Array`` objects.

``self.data.Close`` and ``self.I(...)`` results are numpy arrays: ``.iloc[k]`` -> ``[k]``,
``.values`` -> the array itself, ``.rolling()/.shift()/...`` -> ``pd.Series(x).rolling()``
(and a trailing element read ``[-1]`` -> ``.iloc[-1]``: a Series indexes by label).
"""

from __future__ import annotations

import ast

from agents.codefix.source import Edit, Source, dotted
from agents.codefix.types import Change

SERIES_ONLY = {"rolling", "shift", "pct_change", "ewm", "diff", "expanding", "rank", "fillna",
               "dropna", "isna", "isnull", "notna", "notnull", "ffill", "bfill", "tail", "head",
               "quantile", "idxmax", "idxmin", "apply", "where", "between", "replace",
               "interpolate", "cummax", "cummin", "value_counts", "to_list", "tolist_", "abs_"}
INDEXERS = {"iloc", "iat"}
UNWRAP = {"values", "array"}


def indicator_attrs(tree: ast.Module) -> set[str]:
    """``self.x`` attributes assigned from ``self.I(...)`` (numpy-backed indicators)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call) \
                and dotted(node.value.func) == "self.I":
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                elts = t.elts if isinstance(t, ast.Tuple) else [t]
                out |= {dotted(e) for e in elts if dotted(e).startswith("self.")}
    return out


def _is_array(node: ast.expr, indicators: set[str]) -> bool:
    d = dotted(node)
    if d.startswith("self.data.") and d.count(".") == 2 and d != "self.data.df":
        return d.split(".")[-1] not in {"index", "df", "pip"}
    if isinstance(node, ast.Subscript) and dotted(node.value) == "self.data":
        return True
    return d in indicators


def array_methods(src: Source) -> tuple[list[Edit], list[Change]]:
    indicators = indicator_attrs(src.tree)
    parents = {id(c): p for p in ast.walk(src.tree) for c in ast.iter_child_nodes(p)}
    edits: list[Edit] = []
    changes: list[Change] = []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                and node.value.attr in INDEXERS and _is_array(node.value.value, indicators):
            base = src.text(node.value.value)
            start, _ = src.span(node.value)
            _, end = src.span(node)
            new = f"{base}[{src.text(node.slice)}]"
            edits.append(Edit(start, end, new))
            changes.append(Change("array-indexing", node.lineno,
                                  f"{src.text(node)} -> {new} (numpy array, no .{node.value.attr})"))
        elif isinstance(node, ast.Attribute) and _is_array(node.value, indicators):
            base = src.text(node.value)
            if node.attr in UNWRAP:
                edits.append(Edit(*src.span(node), base))
                changes.append(Change("array-values", node.lineno,
                                      f"{base}.{node.attr} -> {base} (already a numpy array)"))
            elif node.attr in SERIES_ONLY or node.attr == "to_numpy":
                edits.append(Edit(*src.span(node.value), f"pd.Series({base})"))
                changes.append(Change("array-to-series", node.lineno,
                                      f"{base}.{node.attr}(...) -> pd.Series({base}).{node.attr}"
                                      "(...) (pandas method on a numpy array)"))
                index = _indexed_by_position(node, parents)
                if index is not None:
                    edits.append(Edit(src.span(index.value)[1], src.span(index.value)[1],
                                      ".iloc"))
                    changes.append(Change("array-to-series", index.lineno,
                                          f"[{src.text(index.slice)}] -> .iloc[...] (a Series "
                                          "indexes by label: [-1] is a KeyError)"))
    return edits, changes


def _indexed_by_position(node: ast.Attribute, parents: dict[int, ast.AST]
                         ) -> ast.Subscript | None:
    """The ``[k]`` that ends the pandas chain starting at ``node`` (``x.rolling(n).mean()[-1]``)
    when it reads one element by number; slices and strings are left alone."""
    cur: ast.AST = node
    while True:
        up = parents.get(id(cur))
        if isinstance(up, ast.Call) and up.func is cur or isinstance(up, ast.Attribute) \
                and up.value is cur:
            cur = up
            continue
        if isinstance(up, ast.Subscript) and up.value is cur and cur is not node \
                and not isinstance(up.slice, ast.Slice | ast.Tuple) \
                and not (isinstance(up.slice, ast.Constant)
                         and not isinstance(up.slice.value, int)):
            return up
        return None

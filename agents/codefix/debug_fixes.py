"""fix(): deterministic repairs for the commonest backtesting.py failure classes.

``fix(code, error_class, error)`` returns the code unchanged with no changes when no rule
applies (then the LLM gets the traceback). "nan_stats"/"zero_trades" have no code rule:
see :func:`agents.codefix.diagnose.entry_condition_report`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from agents.codefix.classify import CLASSES, classify
from agents.codefix.rules.arrays import array_methods
from agents.codefix.rules.attributes import bad_keyword, invented_attributes
from agents.codefix.rules.columns import column_case
from agents.codefix.rules.indicators import indicator_calls
from agents.codefix.rules.orders import guard_orders
from agents.codefix.rules.talib_dtype import talib_float
from agents.codefix.rules.talib_kwargs import talib_keywords
from agents.codefix.source import Edit, Source, ensure_import, fixpoint, try_parse
from agents.codefix.types import Change, FixResult

Rule = Callable[[Source], tuple[list[Edit], list[Change]]]


def _rules(error_class: str, error: dict[str, Any]) -> list[Rule]:
    message = str(error.get("message") or "")
    table: dict[str, list[Rule]] = {
        "column_key": [column_case],
        "talib_dtype": [talib_float],
        "series_vs_array": [array_methods],
        "invented_attribute": [lambda s: invented_attributes(s, bad_keyword(message)),
                               column_case, array_methods],
        "size_assertion": [lambda s: guard_orders(s, "size")],
        "sl_tp_order": [lambda s: guard_orders(s, "sl/tp")],
        "indicator_error": [indicator_calls, talib_keywords, array_methods, column_case],
    }
    return table.get(error_class, [])


def fix(code: str, error_class: str, error: dict[str, Any] | None = None) -> FixResult:
    """Apply the rules for ``error_class`` (one of :data:`agents.codefix.classify.CLASSES`)."""
    if error_class not in CLASSES:
        raise ValueError(f"unknown error class {error_class!r}; one of {CLASSES}")
    error = error or {}
    if try_parse(code) is None:
        return FixResult(code)
    if error_class == "import":  # pandas_ta / ta -> talib, unused disallowed imports dropped
        from agents.codefix.package import package

        packaged = package(code)
        if packaged.code == code:
            return FixResult(code, unresolved=packaged.unresolved)
        return FixResult(packaged.code, packaged.changes, packaged.unresolved)
    changes: list[Change] = []
    new = code
    for rule in _rules(error_class, error):
        new, more = fixpoint(new, rule)
        changes += more
    if not changes or try_parse(new) is None:
        return FixResult(code)
    tree = ast.parse(new)
    used = {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name)}
    for alias, module in (("np", "numpy"), ("pd", "pandas")):
        if alias in used:
            after = ensure_import(new, module, alias)
            if after != new:
                changes.append(Change("import", 1, f"added `import {module} as {alias}`"))
                new = after
    return FixResult(new, changes)


def fix_error(code: str, error: dict[str, Any]) -> tuple[str, FixResult]:
    """classify + fix in one call: (error class, result)."""
    error_class = classify(error)
    return error_class, fix(code, error_class, error)

"""Find the module-level "driver" of a script-style strategy file.

The driver is what runs the backtest when the file is executed: CSV loading and the
column fix-ups on that frame, yfinance downloads, ``Backtest(...)``, ``.run()``,
``.optimize()``, ``.plot()``, ``print(stats)``, and ``if __name__ == "__main__":`` blocks.
The harness does all of that itself, so the package step removes it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from agents.codefix.source import Source, dotted

LOADERS = {"read_csv", "read_parquet", "read_excel", "read_json", "read_feather", "read_pickle",
           "read_table", "download", "Ticker", "history", "load_data"}
DRIVER_CALLS = LOADERS | {"Backtest", "run", "optimize", "plot", "print", "cprint", "pprint",
                          "display", "FractionalBacktest", "savefig", "show", "to_csv",
                          "makedirs", "chdir", "append"}
DATA_EXT = (".csv", ".parquet", ".feather", ".json", ".xlsx", ".xls", ".pkl", ".txt", ".h5")


@dataclass
class Driver:
    removed: list[ast.stmt] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)  # id(stmt) -> why
    tainted: set[str] = field(default_factory=set)
    data_paths: list[str] = field(default_factory=list)
    backtest_kwargs: dict[str, Any] = field(default_factory=dict)
    optimize_kwargs: dict[str, Any] = field(default_factory=dict)
    strategies_named: list[str] = field(default_factory=list)
    guarded: bool = False
    script: bool = False  # driver statements outside any __main__ guard


def _call_name(call: ast.Call) -> str:
    return dotted(call.func).rsplit(".", 1)[-1] if dotted(call.func) else (
        call.func.attr if isinstance(call.func, ast.Attribute) else "")


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def _stores(stmt: ast.stmt) -> set[str]:
    out: set[str] = set()
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, ast.Attribute | ast.Subscript) and isinstance(n.ctx, ast.Store):
            root: ast.expr = n
            while isinstance(root, ast.Attribute | ast.Subscript):
                root = root.value
            if isinstance(root, ast.Name):
                out.add(root.id)
    return out


def is_main_guard(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    names = {dotted(stmt.test.left)} | {
        c.value if isinstance(c, ast.Constant) else dotted(c) for c in stmt.test.comparators}
    return "__name__" in names


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _driver_call(stmt: ast.stmt) -> str:
    for n in ast.walk(stmt):
        if isinstance(n, ast.Call) and (name := _call_name(n)) in DRIVER_CALLS:
            if name == "append" and not isinstance(stmt, ast.Expr):
                continue
            return name
    return ""


def _harvest(drv: Driver, stmt: ast.stmt, constants: dict[str, str]) -> None:
    """Record data paths, Backtest/optimize kwargs and strategy names used by ``stmt``."""
    for n in ast.walk(stmt):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) \
                and n.value.lower().endswith(DATA_EXT) and n.value not in drv.data_paths:
            drv.data_paths.append(n.value)
        if not isinstance(n, ast.Call):
            continue
        name = _call_name(n)
        if name in LOADERS:
            first = n.args[:1] + [k.value for k in n.keywords if k.arg in {"tickers", "filepath_or_buffer", "path"}]
            for arg in first[:1]:
                path = constants.get(arg.id) if isinstance(arg, ast.Name) else (
                    arg.value if isinstance(arg, ast.Constant) else None)
                if isinstance(path, str):
                    path = f"yfinance:{path}" if name in {"download", "Ticker"} else path
                    if path not in drv.data_paths:
                        drv.data_paths.append(path)
        elif name in {"Backtest", "FractionalBacktest"}:
            strat = n.args[1] if len(n.args) > 1 else next(
                (k.value for k in n.keywords if k.arg == "strategy"), None)
            if isinstance(strat, ast.Name) and strat.id not in drv.strategies_named:
                drv.strategies_named.append(strat.id)
            for kw in n.keywords:
                if kw.arg and kw.arg not in {"data", "strategy"}:
                    value = _literal(kw.value)
                    if value is not None:
                        drv.backtest_kwargs[kw.arg] = value
        elif name == "optimize":
            for kw in n.keywords:
                if kw.arg:
                    value = _literal(kw.value)
                    if value is None and isinstance(kw.value, ast.Call) \
                            and _call_name(kw.value) == "range":
                        args = [_literal(a) for a in kw.value.args]
                        if all(isinstance(a, int) for a in args):
                            value = list(range(*args))
                    if value is not None:
                        drv.optimize_kwargs[kw.arg] = value


def find_driver(src: Source) -> Driver:
    """Module-level statements to remove, in source order, and what they reveal."""
    drv = Driver()
    body = src.tree.body
    constants = {t.id: s.value.value for s in body if isinstance(s, ast.Assign)
                 for t in s.targets if isinstance(t, ast.Name)
                 and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)}

    def remove(stmt: ast.stmt, why: str) -> None:
        drv.removed.append(stmt)
        drv.reasons[id(stmt)] = why
        drv.tainted |= _stores(stmt)
        _harvest(drv, stmt, constants)

    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.ClassDef | ast.FunctionDef
                      | ast.AsyncFunctionDef):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring
        if is_main_guard(stmt):
            drv.guarded = True
            remove(stmt, "`if __name__ == '__main__':` block (the harness runs the backtest)")
        elif call := _driver_call(stmt):
            drv.script = True
            remove(stmt, f"module-level `{call}(...)` driver code")
        elif _loads(stmt) & drv.tainted:
            drv.script = True
            names = ", ".join(sorted(_loads(stmt) & drv.tainted))
            remove(stmt, f"uses the script's own data/backtest objects ({names})")

    # functions that only the driver used and that load data / run backtests
    kept_loads = _kept_loads(body, drv)
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name not in kept_loads \
                and (call := _driver_call(stmt)) and call in LOADERS | {"Backtest", "run"}:
            remove(stmt, f"function `{stmt.name}` loads data / runs a backtest and only the "
                         "driver code called it")
    # constants (paths, tickers) left unused once the driver is gone
    while True:
        kept_loads = _kept_loads(body, drv)
        removed_loads: set[str] = set().union(*(_loads(s) for s in drv.removed))
        extra = [s for s in body if s not in drv.removed and isinstance(s, ast.Assign | ast.AnnAssign)
                 and (stored := _stores(s)) and not stored & kept_loads and stored & removed_loads]
        if not extra:
            break
        for s in extra:
            remove(s, "constant only the removed driver code used")
    drv.removed.sort(key=lambda s: s.lineno)
    return drv


def _kept_loads(body: list[ast.stmt], drv: Driver) -> set[str]:
    out: set[str] = set()
    for s in body:
        if s not in drv.removed:
            out |= _loads(s)
            if isinstance(s, ast.ClassDef):
                out |= {b.id for b in s.bases if isinstance(b, ast.Name)}
    return out

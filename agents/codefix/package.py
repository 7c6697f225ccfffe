"""package(): an LLM-written strategy file -> a module the harness can run.

Deterministic steps, each recorded as a :class:`Change`:

1. remove the module-level driver (CSV/yfinance loading and the frame fix-ups that follow,
   ``Backtest``, ``run``/``optimize``/``plot``, ``print(stats)``, ``__main__`` blocks),
   recording the data paths and ``Backtest`` keyword arguments it used;
2. map pandas_ta / ta calls to talib (and pandas_ta keyword names on talib calls,
   ``period=`` -> ``timeperiod=``: ``rules.talib_kwargs``);
3. replace termcolor/colorama print helpers by plain ``print``;
4. normalise OHLCV column names to the harness's capitalised ones;
5. rewrite reads of backtesting.py internals to the public API (``rules.private_engine``;
   writes are reported, never rewritten), and names NumPy 2 removed (``rules.numpy2``);
6. move backtesting names imported from the wrong submodule (``rules.wrong_imports``),
   drop imports outside the allowed set that are no longer used; add missing ones.

A file cut off by the model's output budget (``truncated``) is first trimmed to its last
complete statement when what was lost is driver code or a statement tail (see
:mod:`agents.codefix.truncated`).

What rules cannot fix is listed in ``unresolved`` for the LLM.
"""

from __future__ import annotations

import ast
import re

from agents.codefix.driver import find_driver
from agents.codefix.precomputed import move_precomputed_columns
from agents.codefix.rules.columns import OHLCV, column_case
from agents.codefix.rules.numpy2 import numpy2_names
from agents.codefix.rules.private_engine import private_engine_reads, private_engine_writes
from agents.codefix.rules.talib_kwargs import talib_keywords
from agents.codefix.rules.wrong_imports import wrong_module_imports
from agents.codefix.source import (
    Edit,
    Source,
    apply_edits,
    dotted,
    ensure_import,
    fixpoint,
    strategy_class_names,
    try_parse,
)
from agents.codefix.ta_map import library_uses, rewrite_ta
from agents.codefix.truncated import rescue_truncated
from agents.codefix.types import Change, PackageResult

ALLOWED_IMPORTS = frozenset({
    "backtesting", "talib", "pandas", "numpy", "math", "statistics", "datetime", "typing",
    "dataclasses", "functools", "itertools", "collections", "enum", "warnings", "__future__",
})
PRINT_HELPERS = frozenset({"termcolor", "colorama"})
NEEDS_LLM = {"backtrader": "backtrader strategy: needs a rewrite to backtesting.py",
             "vectorbt": "vectorbt code: needs a rewrite to backtesting.py",
             "zipline": "zipline code: needs a rewrite to backtesting.py"}


def package(code: str, *, dataset_hint: str | None = None) -> PackageResult:
    """Turn an LLM-written strategy file into a harness-ready module (see module doc).

    ``dataset_hint`` is echoed into the change log when hard-coded data paths are
    replaced by the harness's data, so ``show`` can say which dataset stands in.
    """
    bom = code.startswith("\ufeff")
    code = code.removeprefix("\ufeff")
    src = try_parse(code)
    trimmed: list[Change] = []
    if src is None:
        code, trimmed = rescue_truncated(code)
        src = try_parse(code) if trimmed else None
    if src is None:
        return PackageResult(code, [_syntax_error(code)])
    code, moved = move_precomputed_columns(src)
    if moved:
        src = Source(code)
    result = PackageResult(code, trimmed + list(moved))
    if bom:
        result.changes.append(Change("encoding", 1, "removed a byte-order mark"))
    code = _remove_driver(src, result, dataset_hint)
    code = _apply(code, result, _ta_pass(result))
    for rule in (_print_helpers, column_case, private_engine_reads, numpy2_names,
                 talib_keywords, wrong_module_imports):
        code = _apply(code, result, rule)
    code = _imports(code, result)
    code = re.sub(r"\n{4,}", "\n\n\n", code).lstrip("\n")
    final = try_parse(code)
    if final is not None:
        result.strategy_classes = strategy_class_names(final.tree)
        result.unresolved += private_engine_writes(final)
        _report_leftovers(final, result)
    result.code = code
    return result


def _syntax_error(code: str) -> Change:
    try:
        ast.parse(code)
    except SyntaxError as e:
        return Change("syntax-error", e.lineno or 0, str(e.msg))
    except (ValueError, RecursionError, MemoryError) as e:
        return Change("syntax-error", 0, f"{type(e).__name__}: {e}")
    return Change("syntax-error", 0, "unparsable")


def _apply(code: str, result: PackageResult, one_pass) -> str:  # type: ignore[no-untyped-def]
    code, changes = fixpoint(code, one_pass)
    result.changes += changes
    return code


def _first_line(src: Source, node: ast.stmt) -> str:
    text = src.text(node).strip().splitlines()[0]
    return text if len(text) <= 70 else text[:67] + "..."


def _remove_driver(src: Source, result: PackageResult, dataset_hint: str | None) -> str:
    drv = find_driver(src)
    result.is_script = drv.script
    result.data_paths = drv.data_paths
    result.backtest_kwargs = drv.backtest_kwargs
    result.optimize_kwargs = drv.optimize_kwargs
    edits = []
    for stmt in drv.removed:
        start, end = src.stmt_span(stmt)
        edits.append(Edit(start, end, ""))
        result.changes.append(Change("remove-driver", stmt.lineno,
                                     f"removed `{_first_line(src, stmt)}`: "
                                     f"{drv.reasons[id(stmt)]}"))
    if drv.data_paths:
        target = f"dataset {dataset_hint!r}" if dataset_hint else "the harness's dataset"
        result.changes.append(Change("data-path", drv.removed[0].lineno if drv.removed else 0,
                                     f"hard-coded data {', '.join(drv.data_paths)} replaced by "
                                     f"{target} (OHLCV, capitalised columns)"))
    _precomputed_columns(src, drv.removed, result)
    _lost_names(src, drv.removed, result)
    return apply_edits(src.code, edits)


def _lost_names(src: Source, removed: list[ast.stmt], result: PackageResult) -> None:
    """Module-level names the kept code reads but only removed driver code defined."""
    gone = {id(s) for s in removed}
    kept = [s for s in src.tree.body if id(s) not in gone]
    defined = {n.id for s in kept for n in ast.walk(s) if isinstance(n, ast.Name)
               and isinstance(n.ctx, ast.Store)}
    defined |= {s.name for s in kept if isinstance(s, ast.FunctionDef | ast.ClassDef
                                                   | ast.AsyncFunctionDef)}
    defined |= {(a.asname or a.name).split(".")[0] for s in kept
                if isinstance(s, ast.Import | ast.ImportFrom) for a in s.names}
    lost = {n.id for s in removed for n in ast.walk(s) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Store)} - defined
    for s in kept:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in lost:
                result.unresolved.append(Change(
                    "driver-name", n.lineno, f"`{n.id}` was computed by the removed driver code "
                    "(from the script's own data); compute it inside the strategy"))
                lost.discard(n.id)


def _precomputed_columns(src: Source, removed: list[ast.stmt], result: PackageResult) -> None:
    """Columns the removed driver added to its frame (``data['SMA'] = ...``) that the
    strategy reads as ``self.data.SMA``: the harness's frame lacks them."""
    added: set[str] = set()
    for stmt in removed:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) \
                    and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str):
                added.add(n.slice.value)
    added = {c for c in added if c.strip().lower() not in OHLCV}
    for n in ast.walk(src.tree):
        col: object = None
        if isinstance(n, ast.Attribute) and dotted(n.value) == "self.data":
            col = n.attr
        elif isinstance(n, ast.Subscript) and dotted(n.value) in {"self.data", "self.data.df"} \
                and isinstance(n.slice, ast.Constant):
            col = n.slice.value
        if col in added:
            result.unresolved.append(Change(
                "precomputed-column", getattr(n, "lineno", 0),
                f"strategy reads column {col!r} that the script computed on its own frame; "
                "compute it in init() with self.I(...)"))


def _ta_pass(result: PackageResult):  # type: ignore[no-untyped-def]
    seen: set[str] = set()

    def one_pass(src: Source) -> tuple[list[Edit], list[Change]]:
        edits, changes, unresolved = rewrite_ta(src)
        for u in unresolved:
            if u.description not in seen:
                seen.add(u.description)
                result.unresolved.append(u)
        return edits, changes
    return one_pass


def _helper_names(tree: ast.Module) -> dict[str, str]:
    """Local names bound to termcolor/colorama things -> their original name."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in PRINT_HELPERS:
            out.update({(a.asname or a.name): a.name for a in node.names})
        elif isinstance(node, ast.Import):
            out.update({(a.asname or a.name): a.name for a in node.names
                        if a.name in PRINT_HELPERS})
    return out


def _print_helpers(src: Source) -> tuple[list[Edit], list[Change]]:
    names = _helper_names(src.tree)
    if not names:
        return [], []
    edits: list[Edit] = []
    changes: list[Change] = []

    def sub(node: ast.AST, text: str, what: str) -> None:
        edits.append(Edit(*src.span(node), text))
        changes.append(Change("print-helper", node.lineno, what))  # type: ignore[attr-defined]

    for node in ast.walk(src.tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and (names.get(dotted(node.value.func)) == "init"
                     or dotted(node.value.func) == "colorama.init"):
            if node in src.tree.body:
                edits.append(Edit(*src.stmt_span(node), ""))
                changes.append(Change("print-helper", node.lineno, "colorama init() removed"))
            else:
                sub(node, "pass", "colorama init() removed")
        elif isinstance(node, ast.Call):
            fname = names.get(dotted(node.func)) or dotted(node.func).replace("termcolor.", "")
            first = src.text(node.args[0]) if node.args else '""'
            if fname == "cprint":
                sub(node, f"print({first})", "termcolor cprint(...) -> print(...)")
            elif fname == "colored":
                sub(node, first if _atomic(node.args[0]) else f"({first})",
                    "termcolor colored(text, ...) -> text")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and names.get(node.value.id) in {"Fore", "Back", "Style"}:
            sub(node, '""', f"colorama {dotted(node)} -> ''")
    return edits, changes


def _atomic(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant | ast.JoinedStr | ast.Name | ast.Call | ast.Attribute
                      | ast.Subscript)


def _imports(code: str, result: PackageResult) -> str:
    src = try_parse(code)
    if src is None:
        return code
    used = {n.id for n in ast.walk(src.tree) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}
    edits: list[Edit] = []
    for node in src.tree.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom):
            mods = [(node.module or "", a) for a in node.names]
        else:
            mods = [(a.name, a) for a in node.names]
        keep = []
        for mod, alias in mods:
            root = mod.split(".")[0]
            bound = alias.asname or alias.name.split(".")[0]
            if root in ALLOWED_IMPORTS:
                keep.append(alias)
            elif root in NEEDS_LLM:
                keep.append(alias)
                result.unresolved.append(Change("import", node.lineno, NEEDS_LLM[root]))
            elif bound in used or alias.name == "*":
                keep.append(alias)
                result.unresolved.append(Change(
                    "import", node.lineno, f"`{mod}` is not in the allowed imports and the "
                    f"code still uses `{bound}`"))
            else:
                result.changes.append(Change("import", node.lineno,
                                             f"dropped unused/disallowed import `{mod}`"
                                             + (f" ({alias.name})" if mod != alias.name else "")))
        if len(keep) != len(mods):
            start, end = src.stmt_span(node)
            if keep:
                stmt = ast.ImportFrom(node.module, keep, node.level) \
                    if isinstance(node, ast.ImportFrom) else ast.Import(keep)
                text = ast.unparse(stmt) + "\n"
            else:
                text = ""
            edits.append(Edit(start, end, text))
    code = apply_edits(code, edits)
    for name, module in (("talib", "talib"), ("np", "numpy"), ("pd", "pandas")):
        if re.search(rf"\b{name}\.", code):
            new = ensure_import(code, module, name)
            if new != code:
                result.changes.append(Change("import", 1, f"added `import {module}"
                                             + (f" as {name}`" if name != module else "`")))
                code = new
    return code


def _report_leftovers(src: Source, result: PackageResult) -> None:
    for node in library_uses(src.tree):
        result.unresolved.append(Change("ta-to-talib", node.lineno,  # type: ignore[attr-defined]
                                        f"`{node.id}` (pandas_ta / ta) still used here"))  # type: ignore[attr-defined]
    if not result.strategy_classes:
        result.unresolved.append(Change("no-strategy", 0,
                                        "no backtesting.py Strategy subclass in the file"))
    seen: set[tuple[int, str]] = set()
    result.unresolved = [u for u in result.unresolved
                         if (u.line, u.description) not in seen
                         and not seen.add((u.line, u.description))]  # type: ignore[func-returns-value]

"""wrong_imports: ``from backtesting.lib import SMA`` -> ``from backtesting.test import SMA``.

LLMs mix up which backtesting.py module exports what (``crossover`` lives in
``backtesting.lib``, ``SMA`` in ``backtesting.test``). Which names each module has is read
from the installed package, so the rule follows the version the harness runs.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from functools import lru_cache

from agents.codefix.source import Edit, Source
from agents.codefix.types import Change

PACKAGE = "backtesting"


@lru_cache(maxsize=1)
def module_exports() -> dict[str, frozenset[str]]:
    """Public module of ``backtesting`` -> names importable from it (package first)."""
    out: dict[str, frozenset[str]] = {}
    try:
        root = importlib.import_module(PACKAGE)
    except ImportError:
        return out
    mods = [PACKAGE] + [f"{PACKAGE}.{m.name}" for m in pkgutil.iter_modules(root.__path__)
                        if not m.name.startswith("_")]
    for name in mods:
        try:
            mod = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a submodule that fails to import exports nothing
            continue
        names = set(getattr(mod, "__all__", ())) | {n for n in vars(mod) if not n.startswith("_")}
        if name == PACKAGE:
            names |= {n.rsplit(".", 1)[-1] for n in mods[1:]}
        out[name] = frozenset(names)
    return out


def home_of(name: str, exports: dict[str, frozenset[str]]) -> str | None:
    """The first public backtesting module that exports ``name`` (lib before test before
    the internal ``backtesting.backtesting``)."""
    order = sorted(exports, key=lambda m: (m == f"{PACKAGE}.{PACKAGE}", m != PACKAGE, m))
    return next((m for m in order if name in exports[m]), None)


def wrong_module_imports(src: Source) -> tuple[list[Edit], list[Change]]:
    exports = module_exports()
    edits: list[Edit] = []
    changes: list[Change] = []
    for node in src.tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                and node.module in exports):
            continue
        moved: dict[str, list[ast.alias]] = {}
        kept: list[ast.alias] = []
        for a in node.names:
            home = None if a.name == "*" or a.name in exports[node.module] \
                else home_of(a.name, exports)
            if home is None:
                kept.append(a)
            else:
                moved.setdefault(home, []).append(a)
                changes.append(Change("wrong-import", node.lineno,
                                      f"`{a.name}` is not in {node.module}: imported from {home}"))
        if not moved:
            continue
        stmts = [ast.ImportFrom(node.module, kept, 0)] if kept else []
        stmts += [ast.ImportFrom(m, names, 0) for m, names in moved.items()]
        edits.append(Edit(*src.span(node), "\n".join(ast.unparse(s) for s in stmts)))
    return edits, changes

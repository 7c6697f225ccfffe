"""The attribute rule: one function decides whether ``receiver.name`` may be reached.

Used for ``a.b`` nodes, literal ``getattr``/``setattr`` names, ``from m import name``,
strings that pandas resolves to attributes (``df.agg("name")``) and format fields.
"""

from __future__ import annotations

import ast
import unicodedata

from executor.validator import policy as P
from executor.validator.modules import canonical_path

SELF_NAMES = ("self", "cls")


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def module_path(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """Dotted module path of ``np.lib.format`` style chains rooted at an imported name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def forbidden_path(path: str) -> str | None:
    for prefix in P.FORBIDDEN_MODULE_PATHS:
        if prefix.endswith("_"):
            if path.startswith(prefix):
                return prefix
        elif path == prefix or path.startswith(prefix + "."):
            return prefix
    return None


def is_self_like(node: ast.AST | None, classes: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in SELF_NAMES or node.id in classes
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "super")


def judge(name: str, receiver: ast.AST | None, *, own_attrs: set[str], classes: set[str],
          aliases: dict[str, str], script: bool = False,
          parent: ast.AST | None = None, ctx_load: bool = True,
          path: str | None = None) -> tuple[str, str, str] | None:
    """Return ``(rule, message, hint)`` when ``receiver.name`` is refused, else None.

    ``path`` is the receiver's module path when the caller already knows it
    (``from numpy import x``); otherwise it is derived from ``receiver``.
    """
    name = unicodedata.normalize("NFKC", name)
    if path is None and receiver is not None:
        path = module_path(receiver, aliases)
    if path is not None and path != "*":
        path = canonical_path(path)
    selfish = is_self_like(receiver, classes)
    if is_dunder(name):
        if name in P.ALLOWED_DUNDER_ATTRS:
            return None
        if name == "__init__" and ctx_load and selfish:
            return None  # super().__init__, self.__init__, OwnClass.__init__ (never a library's)
        if (name == "__class__" and ctx_load and isinstance(parent, ast.Attribute)
                and parent.attr in ("__name__", "__qualname__")):
            return None
        return ("dunder-access", f"access to the dunder attribute {name!r} is not allowed",
                "use public API: type(obj).__name__ for a class name, super().__init__() "
                "in constructors")
    if name.startswith("_") and name != "_":
        engine = name in P.ENGINE_PRIVATE or name.startswith(P.ENGINE_PRIVATE_PREFIXES)
        if selfish:
            if not engine and name in own_attrs:
                return None
        elif name in P.PUBLIC_PRIVATE_ATTRS and path is None:
            return None
        if engine or selfish:
            return ("private-engine", f"{name!r} is a private backtesting.py internal",
                    "use the public Strategy API: self.data, self.position, self.trades, "
                    "self.equity, self.buy()/self.sell(); name your own state self._my_x")
        return ("private-attribute", f"access to the private attribute {name!r} is not allowed",
                "use the library's public API")
    if selfish and name in own_attrs:
        return None  # the strategy's own method or attribute, whatever its name
    full = f"{path}.{name}" if path else None
    if full is not None and (full in P.ALLOWED_SUBMODULES
                             or full in P.LIBRARY_FUNCTIONS_NAMED_LIKE_MODULES):
        return None
    if name in P.DANGEROUS_MODULES or (full is not None and name in P.MODULE_CHAIN_ONLY):
        return ("forbidden-attribute",
                f"{(full or name)!r} reaches a module outside the allowlist",
                "use only numpy, pandas, talib, backtesting and the allowed stdlib modules")
    if name.startswith(P.READER_PREFIX) and (full is None or full.startswith(("pandas", "numpy", "*"))):
        if script and name in P.SCRIPT_READERS and _simple_read(parent):
            return None
        return ("io-call", f"{name!r} reads files; strategies get their data from the harness",
                "use self.data (Open/High/Low/Close/Volume, self.data.df); in a script, "
                "pd.read_csv('path.csv') with a literal path is accepted")
    if name in P.LIBRARY_ENTRY_POINTS:
        return ("forbidden-attribute", f"{name!r} is a library entry point to code, files or "
                "patching", P.LIBRARY_ENTRY_POINTS[name])
    if name in P.IO_ATTRS or name.startswith("to_") and name not in P.TO_IN_MEMORY:
        return ("io-call", f"{name!r} reads or writes files",
                "keep results in memory; the harness records stats, trades and equity")
    if name in P.CODE_ATTRS:
        rule = "forbidden-call" if name in ("eval", "query") else "forbidden-attribute"
        return (rule, f"{name!r} is not allowed in a strategy", P.CODE_ATTRS[name])
    if full is not None:
        bad = forbidden_path(full)
        if bad:
            return ("forbidden-module", f"{full!r} is inside {bad!r}, which is not allowed",
                    "use the public top-level API of numpy/pandas/backtesting/talib")
    return None


def _simple_read(parent: ast.AST | None) -> bool:
    """``pd.read_csv(<literal, name or f-string>, ...)``."""
    if not isinstance(parent, ast.Call):
        return False
    first = parent.args[0] if parent.args else next(
        (k.value for k in parent.keywords if k.arg in ("filepath_or_buffer", "path")), None)
    return isinstance(first, (ast.Constant, ast.Name, ast.JoinedStr, ast.BinOp))

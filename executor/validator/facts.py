"""A first pass over the tree: what the file imports, defines and assigns.

The rules in :mod:`checks` need these facts (module aliases, the file's own private
attributes, its classes, which names hold constant strings) before they can judge a node.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from executor.validator.bindings import OPAQUE, UNKNOWN
from executor.validator.flow import FlowIndex, Taint
from executor.validator.modules import member_kind
from executor.validator.policy import STRATEGY_BASES
from executor.validator.scopes import Scopes

REEXPORTS = {"np": "numpy", "pd": "pandas"}


@dataclass
class Facts:
    module_alias: dict[str, str] = field(default_factory=dict)  # local name -> dotted path
    imported: set[str] = field(default_factory=set)  # every name bound by an import
    own_attrs: set[str] = field(default_factory=set)  # attributes the file defines itself
    classes: set[str] = field(default_factory=set)
    strategies: list[ast.ClassDef] = field(default_factory=list)
    str_values: dict[str, list[ast.AST]] = field(default_factory=dict)  # name -> assigned values
    data_aliases: set[str] = field(default_factory=set)  # names that may hold self.data views
    data: Taint | None = None  # what may hold the scored data
    libglobal: Taint | None = None  # what may hold a library class/function/module
    star_import: bool = False
    bound: set[str] = field(default_factory=set)  # any name bound anywhere


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def collect(nodes: list[ast.AST], parents: dict[ast.AST, ast.AST]) -> Facts:
    f = Facts()
    class_defs: list[ast.ClassDef] = []
    stars: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    f.module_alias[a.asname] = a.name
                    f.imported.add(a.asname)
                else:
                    top = a.name.split(".")[0]
                    f.module_alias[top] = top
                    f.imported.add(top)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name == "*":
                    f.star_import = True
                    stars.append(node.module)
                    continue
                local = a.asname or a.name
                f.imported.add(local)
                f.module_alias[local] = REEXPORTS.get(a.name, f"{node.module}.{a.name}")
        elif isinstance(node, ast.ClassDef):
            class_defs.append(node)
            f.classes.add(node.name)
            for stmt in node.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    f.own_attrs.add(stmt.name)
                elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    for t in targets:
                        for n in ast.walk(t):
                            if isinstance(n, ast.Name):
                                f.own_attrs.add(n.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                f.own_attrs.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            f.bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if not isinstance(node, ast.Lambda):
                f.bound.add(node.name)
            for arg in ast.walk(node.args):
                if isinstance(arg, ast.arg):
                    f.bound.add(arg.arg)
    index = FlowIndex(nodes, Scopes(parents))
    for name, value, _site in index.raw:  # every binding form: a constant only if all are
        f.str_values.setdefault(name, []).append(OPAQUE if value is UNKNOWN else value)
    f.bound |= f.imported | f.classes
    _star_names(f, nodes, stars)
    selfref = Taint(index, lambda e: isinstance(e, ast.Name) and e.id == "self",
                    lambda call, holds: False)
    f.data = Taint(index, lambda e: _is_data_attr(e, selfref.holds), _passes_data,
                   scalar_index=True)
    f.data_aliases = f.data.names
    f.libglobal = Taint(index, lambda e: _is_libglobal(e, f.imported), _passes_libglobal)
    # Strategy subclasses: direct, or derived from one defined earlier in the file.
    known = set(STRATEGY_BASES)
    changed = True
    while changed:
        changed = False
        for c in class_defs:
            if c not in f.strategies and any(_base_name(b) in known for b in c.bases):
                f.strategies.append(c)
                known.add(c.name)
                changed = True
    return f


VIEW_METHODS = frozenset({"view", "reshape", "ravel", "squeeze", "transpose", "swapaxes", "T",
                          "to_numpy", "values", "array", "asarray", "asanyarray", "flat",
                          "ascontiguousarray", "asfortranarray", "atleast_1d", "atleast_2d",
                          "atleast_3d", "broadcast_to", "flip", "fliplr", "flipud", "diagonal",
                          "real", "imag", "moveaxis", "Series", "DataFrame", "frombuffer",
                          "as_array", "__array__", "iter", "next", "reversed", "enumerate",
                          "zip", "list", "tuple", "dict", "min", "max", "getattr"})


def _is_data_attr(e: ast.AST, is_self: Callable[[ast.AST], bool]) -> bool:
    """``self.data`` on self or on anything that may be the strategy (``me = self``)."""
    return isinstance(e, ast.Attribute) and e.attr in ("data", "_data") and is_self(e.value)


FRAME_CONSTRUCTORS = frozenset({"Series", "DataFrame"})
# their keywords that never hand over the data's buffer: an Index is immutable, the rest
# are settings (``data=`` and positional arguments still do)
NOT_DATA_KWARGS = frozenset({"index", "columns", "name", "dtype", "copy"})


def _passes_data(call: ast.Call, holds: Callable[[ast.AST], bool]) -> bool:
    """Calls that may return (a view of) their argument: ``np.asarray(x)``, ``x.view()``."""
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name == "array":  # np.array copies unless told not to
        if not any(k.arg == "copy" for k in call.keywords):
            return False
    if name not in VIEW_METHODS:
        return False
    if isinstance(f, ast.Attribute) and holds(f.value):
        return True
    keywords = call.keywords
    if name in FRAME_CONSTRUCTORS:  # pd.DataFrame(index=df.index): a new, empty frame
        keywords = [k for k in keywords if k.arg is None or k.arg not in NOT_DATA_KWARGS]
    return any(holds(a) for a in [*call.args, *(k.value for k in keywords)])


def _is_libglobal(e: ast.AST, imported: set[str]) -> bool:
    """An imported name, ``type(x)``, ``super()``: classes and modules, not instances."""
    if isinstance(e, ast.Name):
        return e.id in imported
    return (isinstance(e, ast.Call) and isinstance(e.func, ast.Name)
            and e.func.id in ("type", "super"))


def _passes_libglobal(call: ast.Call, holds: Callable[[ast.AST], bool]) -> bool:
    f = call.func
    return (isinstance(f, ast.Name) and f.id in ("getattr", "next", "iter", "min", "max")
            and any(holds(a) for a in call.args))


def _star_names(f: Facts, nodes: list[ast.AST], stars: list[str]) -> None:
    """``from numpy import *`` then ``lib``: a free name the star import provides is an
    import like any other (a module alias, a library global)."""
    for node in nodes:
        if (stars and isinstance(node, ast.Name) and node.id not in f.bound
                and node.id not in f.module_alias):
            for module in stars:
                if member_kind(module, node.id) is not None:
                    f.module_alias[node.id] = f"{module}.{node.id}"
                    f.imported.add(node.id)
                    break

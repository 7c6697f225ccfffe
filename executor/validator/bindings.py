"""Every way a file binds a name: ``(name, value, site)`` for each binding form.

Used by :mod:`flow` (what names may hold) and :mod:`facts` (names only ever bound to
literals). Attributes of ``self`` and containers count as names that hold what is stored
into them (``self.x = v``, ``d[k] = v``, ``xs.append(v)``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
UNKNOWN = ast.Constant(value=None)  # a binding whose value the file does not show
OPAQUE = ast.Name(id="<opaque>", ctx=ast.Load())  # a binding that is not a plain literal


def target_names(target: ast.AST) -> Iterator[str]:
    for n in ast.walk(target):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            yield n.id
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            yield n.name
        elif isinstance(n, ast.MatchMapping) and n.rest:
            yield n.rest


def params_of(fn: ast.AST) -> list[ast.arg]:
    a = fn.args  # type: ignore[attr-defined]
    return [*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg]  # type: ignore[list-item]


SELF_NAMES = ("self", "cls")
# Methods that put their arguments into the receiver (a list, dict, set, deque).
CONTAINER_PUTS = frozenset({"append", "extend", "insert", "add", "update", "setdefault",
                            "appendleft", "extendleft"})


def holder(target: ast.AST) -> str | None:
    """The name that ends up holding what is stored into ``target``: ``d`` for ``d[k]`` /
    ``d.x``, ``self.d`` for ``self.d[k]`` / ``self.d`` (attributes of self are tracked as
    one name per attribute, across methods)."""
    node = target
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in SELF_NAMES):
            return f"self.{node.attr}"
        node = node.value
    if isinstance(node, ast.Name) and node is not target:
        return node.id
    return None


def _stores(target: ast.AST) -> Iterator[str]:
    for n in ast.walk(target):
        if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, ast.Store):
            name = holder(n)
            if name is not None:
                yield name


def bindings(nodes: list[ast.AST]) -> Iterator[tuple[str, ast.AST, ast.AST]]:
    """``(name, value, site)`` for every binding; the value is what the name may refer to
    (the container for loop/unpacking targets, OPAQUE for defs, UNKNOWN for parameters);
    the site is the node whose scope the name lives in (the function, for parameters)."""
    for node in nodes:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                for name in target_names(t):
                    yield name, node.value, node
                for name in _stores(t):
                    yield name, node.value, node
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            for name in target_names(node.target):
                yield name, node.value, node
            for name in _stores(node.target):
                yield name, node.value, node
        elif isinstance(node, ast.AugAssign):
            for name in target_names(node.target):
                yield name, OPAQUE, node
            for name in _stores(node.target):
                yield name, node.value, node
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in CONTAINER_PUTS):
            box = holder(node.func)
            if box is not None:
                yield box, ast.Tuple(elts=[*node.args, *(k.value for k in node.keywords)],
                                      ctx=ast.Load()), node
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            for name in target_names(node.target):
                yield name, node.iter, node
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            for name in target_names(node.optional_vars):
                yield name, node.context_expr, node
        elif isinstance(node, ast.match_case):
            continue
        elif isinstance(node, ast.Match):
            for case in node.cases:
                for name in target_names(case.pattern):
                    yield name, node.subject, node
        elif isinstance(node, FUNCS):
            if not isinstance(node, ast.Lambda):
                yield node.name, OPAQUE, node
            for arg in params_of(node):
                if arg is not None:
                    yield arg.arg, UNKNOWN, arg
        elif isinstance(node, ast.ClassDef):
            yield node.name, OPAQUE, node
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name, OPAQUE, node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                yield (a.asname or a.name).split(".")[0], OPAQUE, node

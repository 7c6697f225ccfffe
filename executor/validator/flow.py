"""Where values flow: every way a file binds a name, and which names may hold a kind of value.

Two kinds matter to the rules: *library globals* (a class, function or module reached
from an import without calling it: ``pd.Series``, ``Strategy``, ``type(df)``) — storing
an attribute on one is monkeypatching — and *the scored data* (``self.data`` and views
of it) — writing into it changes the result. A name holds a kind when ANY of its bindings
may hold it: ``=``, ``:=``, ``for``, comprehensions, ``with ... as``, ``match`` captures,
parameters fed by a call in the file, a function whose return value holds it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from executor.validator.scopes import Scopes

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


def _params(fn: ast.AST) -> list[ast.arg]:
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
            for arg in _params(node):
                if arg is not None:
                    yield arg.arg, UNKNOWN, arg
        elif isinstance(node, ast.ClassDef):
            yield node.name, OPAQUE, node
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name, OPAQUE, node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                yield (a.asname or a.name).split(".")[0], OPAQUE, node


Key = tuple[object, str]  # (scope node or None for the module, name)


class Taint:
    """Names (per scope) and in-file functions that may hold values of one kind.

    ``base(expr)`` says whether an expression produces the kind by itself;
    ``passes(call, holds)`` whether a call hands the kind through (``np.asarray(x)``).
    Flow-insensitive, except that a parameter rebound by the function's first statement
    that mentions it (``df = df.copy()``) is judged by that statement's value.
    """

    def __init__(self, nodes: list[ast.AST], scopes: Scopes,
                 base: Callable[[ast.AST], bool],
                 passes: Callable[[ast.Call, Callable[[ast.AST], bool]], bool],
                 scalar_index: bool = False) -> None:
        self.base, self.passes, self.scopes = base, passes, scopes
        self.scalar_index = scalar_index  # x[i], x[-1] give a scalar, not a view
        self.keys: set[Key] = set()
        self.returning: set[str] = set()  # in-file functions that may return the kind
        self._cache: dict[ast.AST, Key] = {}
        binds = [(self.key(site, name), value) for name, value, site in bindings(nodes)]
        funcs: dict[str, list[ast.AST]] = {}
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                funcs.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                for name in (n for t in node.targets for n in target_names(t)):
                    funcs.setdefault(name, []).append(node.value)
        calls = [n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                 and n.func.id in funcs]
        changed = True
        while changed:
            before = (len(self.keys), len(self.returning))
            for key, value in binds:
                if key not in self.keys and self.holds(value):
                    self.keys.add(key)
            for name, defs in funcs.items():
                if name not in self.returning and any(self._returns(d) for d in defs):
                    self.returning.add(name)
            for call in calls:
                self._feed(call, funcs[call.func.id])  # type: ignore[attr-defined]
            changed = (len(self.keys), len(self.returning)) != before

    @property
    def names(self) -> set[str]:
        return {name for _, name in self.keys}

    def key(self, node: ast.AST, name: str) -> Key:
        if name.startswith("self."):
            return None, name
        if isinstance(node, ast.arg):
            fn = self.scopes.parents.get(self.scopes.parents.get(node))  # type: ignore[arg-type]
            return fn, name
        for scope in self.scopes.enclosing(node):
            if name in self.scopes.locals_of(scope):
                return scope, name
        return None, name

    def _name_key(self, node: ast.Name) -> Key:
        if node not in self._cache:
            self._cache[node] = self.key(node, node.id)
        return self._cache[node]

    def _returns(self, fn: ast.AST) -> bool:
        if isinstance(fn, ast.Lambda):
            return self.holds(fn.body)
        return any(isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom)) and n.value is not None
                   and self.holds(n.value) for n in ast.walk(fn))

    def _taint_param(self, fn: ast.AST, name: str) -> None:
        key = (fn, name)
        if key in self.keys:
            return
        first = first_rebinding(fn, name)
        if first is None:
            self.keys.add(key)
            return
        self.keys.add(key)  # judge the rebinding value with the incoming argument held
        passes_through = self.holds(first)
        self.keys.discard(key)
        if passes_through:
            self.keys.add(key)

    def _feed(self, call: ast.Call, defs: list[ast.AST]) -> None:
        """A call in the file passes a holding argument: the parameter holds it too."""
        for fn in defs:
            params = [p for p in _params(fn) if p is not None]
            positional = [*fn.args.posonlyargs, *fn.args.args]  # type: ignore[attr-defined]
            hit: list[str] = []
            for i, arg in enumerate(call.args):
                if self.holds(arg):
                    if isinstance(arg, ast.Starred) or i >= len(positional):
                        hit += [p.arg for p in params]
                    else:
                        hit.append(positional[i].arg)
            for kw in call.keywords:
                if self.holds(kw.value):
                    named = [p.arg for p in params if p.arg == kw.arg]
                    hit += named or [p.arg for p in params]
            for name in hit:
                self._taint_param(fn, name)

    def holds(self, expr: ast.AST) -> bool:
        stack = [expr]
        while stack:
            e = stack.pop()
            if self.base(e):
                return True
            if isinstance(e, ast.Name):
                if self._name_key(e) in self.keys:
                    return True
            elif isinstance(e, ast.BoolOp):
                stack.extend(e.values)
            elif isinstance(e, ast.IfExp):
                stack.extend((e.body, e.orelse))
            elif isinstance(e, (ast.NamedExpr, ast.Starred, ast.Subscript, ast.Attribute,
                                ast.Await)):
                if (isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name)
                        and e.value.id in SELF_NAMES and (None, f"self.{e.attr}") in self.keys):
                    return True
                if self.scalar_index and isinstance(e, ast.Subscript) and _scalar(e.slice):
                    continue
                stack.append(e.value)
            elif isinstance(e, (ast.Tuple, ast.List, ast.Set)):
                stack.extend(e.elts)
            elif isinstance(e, ast.Dict):
                stack.extend(v for v in (*e.keys, *e.values) if v is not None)
            elif isinstance(e, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
                stack.append(e.elt)
            elif isinstance(e, ast.DictComp):
                stack.extend((e.key, e.value))
            elif isinstance(e, ast.Call):
                if isinstance(e.func, ast.Name) and e.func.id in self.returning:
                    return True
                if self.passes(e, self.holds):
                    return True
        return False


def first_rebinding(fn: ast.AST, name: str) -> ast.AST | None:
    """The value of ``name = value`` when it is the first top-level statement of ``fn``
    that mentions ``name`` (so the incoming argument is used only there)."""
    body = fn.body if isinstance(fn.body, list) else []  # type: ignore[attr-defined]
    for stmt in body:
        mentions = any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt))
        if not mentions:
            continue
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == name):
            return stmt.value
        return None
    return None


def _scalar(index: ast.AST) -> bool:
    """An index that picks one element (``-1``, ``i``, ``i - 1``), not a slice or a column."""
    if isinstance(index, ast.Constant):
        return isinstance(index.value, int)
    return isinstance(index, (ast.Name, ast.BinOp, ast.UnaryOp, ast.Call))

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
from collections.abc import Callable

from executor.validator.bindings import (
    SELF_NAMES,
    bindings,
    params_of,
    target_names,
)
from executor.validator.scopes import Scopes

Key = tuple[object, str]  # (scope node or None for the module, name)
MAX_PASSES = 5000  # longest chain of aliases followed (real files: under 10)


def scope_key(scopes: Scopes, node: ast.AST, name: str) -> Key:
    """The scope ``name`` lives in, seen from ``node`` (attributes of self: the module)."""
    if name.startswith("self."):
        return None, name
    if isinstance(node, ast.arg):
        return scopes.parents.get(scopes.parents.get(node)), name  # type: ignore[arg-type]
    for scope in scopes.enclosing(node):
        if name in scopes.locals_of(scope):
            return scope, name
    return None, name


class FlowIndex:
    """What every Taint needs, computed once per file: bindings with their scope keys,
    the file's functions, the calls to them and their return values."""

    def __init__(self, nodes: list[ast.AST], scopes: Scopes) -> None:
        self.scopes = scopes
        self.name_keys: dict[ast.AST, Key] = {}
        self.raw = list(bindings(nodes))
        self.binds = [(scope_key(scopes, site, name), value) for name, value, site in self.raw]
        self.funcs: dict[str, list[ast.AST]] = {}
        self.returns: dict[str, list[ast.AST]] = {}
        for node in nodes:
            fn: ast.AST | None = None
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                fn, names = node, [node.name]
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                fn, names = node.value, [n for t in node.targets for n in target_names(t)]
            if fn is None:
                continue
            values: list[ast.AST] = [fn.body] if isinstance(fn, ast.Lambda) else [
                n.value for n in ast.walk(fn)
                if isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom)) and n.value is not None]
            for name in names:
                self.funcs.setdefault(name, []).append(fn)
                self.returns.setdefault(name, []).extend(values)
        self.calls = [n for n in nodes if isinstance(n, ast.Call)
                      and isinstance(n.func, ast.Name) and n.func.id in self.funcs]
        # which items mention a name: re-judged when that name starts holding something
        self.bind_users: dict[str, list[int]] = {}
        self.return_users: dict[str, list[str]] = {}
        self.call_users: dict[str, list[int]] = {}
        for i, (_, value) in enumerate(self.binds):
            for ref in _refs(value):
                self.bind_users.setdefault(ref, []).append(i)
        for fname, values in self.returns.items():
            for ref in {r for v in values for r in _refs(v)}:
                self.return_users.setdefault(ref, []).append(fname)
        for i, call in enumerate(self.calls):
            for ref in {r for a in [*call.args, *(k.value for k in call.keywords)]
                        for r in _refs(a)}:
                self.call_users.setdefault(ref, []).append(i)


def _refs(expr: ast.AST) -> set[str]:
    """Names an expression reads (``self.x`` counts as the name ``self.x``)."""
    out: set[str] = set()
    for n in ast.walk(expr):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
              and n.value.id in SELF_NAMES):
            out.add(f"self.{n.attr}")
    return out


class Taint:
    """Names (per scope) and in-file functions that may hold values of one kind.

    ``base(expr)`` says whether an expression produces the kind by itself;
    ``passes(call, holds)`` whether a call hands the kind through (``np.asarray(x)``).
    Flow-insensitive, except that a parameter rebound by the function's first statement
    that mentions it (``df = df.copy()``) is judged by that statement's value.
    """

    def __init__(self, index: FlowIndex, base: Callable[[ast.AST], bool],
                 passes: Callable[[ast.Call, Callable[[ast.AST], bool]], bool],
                 scalar_index: bool = False) -> None:
        self.base, self.passes, self.scopes = base, passes, index.scopes
        self.scalar_index = scalar_index  # x[i], x[-1] give a scalar, not a view
        self.keys: set[Key] = set()
        self.returning: set[str] = set()  # in-file functions that may return the kind
        self._cache = index.name_keys
        self._new: list[Key] = []
        self.converged = True
        binds: list[int] = list(range(len(index.binds)))
        calls: list[int] = list(range(len(index.calls)))
        returns = list(index.returns)
        for _ in range(MAX_PASSES):  # each pass re-judges only what the last one changed
            for i in binds:
                key, value = index.binds[i]
                if key not in self.keys and self.holds(value):
                    self._add(key)
            for name in returns:
                if name not in self.returning and any(self.holds(v) for v in index.returns[name]):
                    self.returning.add(name)
                    self._new.append((None, name))
            for i in calls:
                call = index.calls[i]
                self._feed(call, index.funcs[call.func.id])  # type: ignore[attr-defined]
            if not self._new:
                break
            changed = {name for _, name in self._new}
            self._new = []
            binds = sorted({i for n in changed for i in index.bind_users.get(n, ())})
            returns = sorted({f for n in changed for f in index.return_users.get(n, ())})
            calls = sorted({i for n in changed for i in index.call_users.get(n, ())})
        else:  # a chain built to be slow: the caller refuses the file
            self.converged = False

    def _add(self, key: Key) -> None:
        self.keys.add(key)
        self._new.append(key)

    @property
    def names(self) -> set[str]:
        return {name for _, name in self.keys}

    def key(self, node: ast.AST, name: str) -> Key:
        return scope_key(self.scopes, node, name)

    def _name_key(self, node: ast.Name) -> Key:
        if node not in self._cache:
            self._cache[node] = self.key(node, node.id)
        return self._cache[node]

    def _taint_param(self, fn: ast.AST, name: str) -> None:
        key = (fn, name)
        if key in self.keys:
            return
        first = first_rebinding(fn, name)
        if first is None:
            self._add(key)
            return
        self.keys.add(key)  # judge the rebinding value with the incoming argument held
        passes_through = self.holds(first)
        self.keys.discard(key)
        if passes_through:
            self._add(key)

    def _feed(self, call: ast.Call, defs: list[ast.AST]) -> None:
        """A call in the file passes a holding argument: the parameter holds it too."""
        for fn in defs:
            params = [p for p in params_of(fn) if p is not None]
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

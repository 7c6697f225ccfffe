"""The validator's rules, applied in one iterative pass over the AST."""

from __future__ import annotations

import ast
from typing import Any

from executor.types import Violation
from executor.validator import policy as P
from executor.validator.attrs import forbidden_path, is_dunder, judge
from executor.validator.facts import Facts, rooted_at_self_data
from executor.validator.scopes import Scopes
from executor.validator.strings import check_strings, dynamic_string, format_receiver_ok

Found = tuple[int, int, str, str, str]


class Checker:
    def __init__(self, nodes: list[ast.AST], parents: dict[ast.AST, ast.AST], facts: Facts, *,
                 allowed: frozenset[str], script: bool) -> None:
        self.nodes, self.parents, self.f = nodes, parents, facts
        self.allowed, self.script = allowed, script
        self.scopes = Scopes(parents)
        self.out: list[Violation] = []

    def add(self, node: ast.AST, rule: str, message: str, hint: str) -> None:
        self.out.append(Violation(getattr(node, "lineno", 1), getattr(node, "col_offset", 0),
                                  rule, message, hint))

    def attr(self, node: ast.AST, name: str, receiver: ast.AST | None, *, load: bool = True,
             parent: ast.AST | None = None, path: str | None = None) -> None:
        res = judge(name, receiver, own_attrs=self.f.own_attrs, classes=self.f.classes,
                    aliases=self.f.module_alias, script=self.script, parent=parent,
                    ctx_load=load, path=path)
        if res:
            self.add(node, *res)

    def run(self) -> list[Violation]:
        handlers: dict[type, Any] = {}
        for node in self.nodes:
            t = type(node)
            if t not in handlers:
                handlers[t] = getattr(self, "visit_" + t.__name__, None)
            handler = handlers[t]
            if handler is not None:
                handler(node)
        self.out.extend(check_strings(self.nodes))
        self.check_string_annotations()
        return self.out

    def check_string_annotations(self) -> None:
        """``x: "expr"`` is evaluated by typing.get_type_hints/singledispatch: check it as code."""
        for node in self.nodes:
            ann: list[ast.AST | None] = []
            if isinstance(node, ast.arg):
                ann = [node.annotation]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                ann = [node.returns]
            elif isinstance(node, ast.AnnAssign):
                ann = [node.annotation]
            for a in ann:
                for c in ast.walk(a) if a is not None else ():
                    if isinstance(c, ast.Constant) and isinstance(c.value, str):
                        self.check_snippet(c)

    def check_snippet(self, const: ast.Constant) -> None:
        try:
            expr = ast.parse(str(const.value).strip(), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        mod = ast.Module(body=[ast.Expr(expr.body)], type_ignores=[])
        for n in ast.walk(mod):
            if hasattr(n, "lineno"):
                n.lineno, n.col_offset = const.lineno, const.col_offset  # type: ignore[attr-defined]
        nodes = list(ast.walk(mod))
        parents = {c: p for p in nodes for c in ast.iter_child_nodes(p)}
        sub = Checker(nodes, parents, self.f, allowed=self.allowed, script=self.script)
        for n in nodes:
            handler = getattr(sub, "visit_" + type(n).__name__, None)
            if handler is not None:
                handler(n)
        self.out.extend(sub.out)

    # -- imports -------------------------------------------------------------------------
    def module_ok(self, node: ast.AST, name: str) -> bool:
        top = name.split(".")[0]
        parts = name.split(".")
        if name in self.allowed or (top in self.allowed and name in P.ALLOWED_SUBMODULES):
            if not forbidden_path(name) and not any(
                    p.startswith("_") for p in parts if p != "__future__"):
                return True
        hint = ("allowed: " + ", ".join(sorted(m for m in self.allowed if "." not in m))
                + "; use numpy/pandas/talib for the computation")
        if top in self.allowed:
            hint = f"import {top} (or an allowed submodule) and use its public API"
        self.add(node, "import-not-allowed", f"import of {name!r} is not allowed", hint)
        return False

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.module_ok(node, a.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.add(node, "relative-import", "relative imports are not allowed",
                     "put everything in one file and import only allowed modules")
            return
        mod = node.module or ""
        if not self.module_ok(node, mod):
            return
        for a in node.names:
            if a.name == "*":
                continue
            if f"{mod}.{a.name}" in P.ALLOWED_SUBMODULES:
                continue
            self.attr(node, a.name, None, path=mod)

    # -- names ---------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name in P.FORBIDDEN_BUILTINS:
            self.add(node, "forbidden-call", f"{name!r} is not allowed",
                     P.FORBIDDEN_BUILTINS[name])
        elif is_dunder(name):
            if name not in P.ALLOWED_DUNDER_NAMES:
                self.add(node, "dunder-access", f"the name {name!r} is not allowed",
                         "strategies do not need interpreter internals")
        elif name in P.SHADOWABLE_BUILTINS and isinstance(node.ctx, ast.Load):
            if not self.scopes.is_local(node):
                self.add(node, "forbidden-call", f"the builtin {name!r} is not allowed",
                         P.SHADOWABLE_BUILTINS[name])
        elif name in P.ATTR_BUILTINS and isinstance(node.ctx, ast.Load):
            parent = self.parents.get(node)
            if not (isinstance(parent, ast.Call) and parent.func is node):
                self.add(node, "dynamic-attribute", f"{name!r} may only be called directly",
                         "write obj.attr instead of passing getattr around")
        elif (self.f.star_import and isinstance(node.ctx, ast.Load)
              and name not in self.f.bound):
            self.attr(node, name, None, path="*")

    # -- attributes ----------------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        load = isinstance(node.ctx, ast.Load)
        parent = self.parents.get(node)
        if isinstance(parent, ast.Call) and parent.func is not node:
            parent = None
        self.attr(node, node.attr, node.value, load=load, parent=parent)
        if not load:
            self.store_target(node, node.value)

    def store_target(self, node: ast.AST, receiver: ast.AST) -> None:
        """Assignments/deletions through attributes or subscripts."""
        root = receiver
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if rooted_at_self_data(node, self.f.data_aliases):
            self.add(node, "data-tamper", "the strategy must not modify the data it is scored on",
                     "copy first: df = self.data.df.copy(), or build new arrays with self.I()")
        elif isinstance(root, ast.Name) and root.id in self.f.imported:
            path = ast.unparse(node) if isinstance(node, ast.Attribute) else ""
            if not path.startswith(("pd.options.", "pandas.options.")):
                self.add(node, "monkeypatch",
                         f"assigning to {root.id!r} (an imported module or class) is not allowed",
                         "subclass Strategy and override methods in your own class")
        elif isinstance(root, ast.Call) and isinstance(root.func, ast.Name) \
                and root.func.id in ("type", "super"):
            self.add(node, "monkeypatch", "assigning to a class through type()/super()",
                     "set attributes on self or define them in your class body")

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.store_target(node, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name) and node.target.id in self.f.data_aliases:
            self.add(node, "data-tamper", "the strategy must not modify the data it is scored on",
                     "copy first: arr = self.data.Close.copy()")

    # -- calls ---------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in P.ATTR_BUILTINS:
            self.attr_builtin(node, func.id)
            return
        if not isinstance(func, ast.Attribute):
            return
        name = func.attr
        if name in ("format", "format_map"):
            recv = func.value
            if isinstance(recv, ast.Name) and recv.id == "str" and node.args:
                recv = node.args[0]
            if not format_receiver_ok(recv, self.f.str_values):
                self.add(node, "format-attribute", "str.format on a string built at run time",
                         "use an f-string with plain expressions")
        if name in P.STRING_DISPATCH_METHODS:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for lit in ([arg] if not isinstance(arg, (ast.List, ast.Tuple, ast.Dict))
                            else [*getattr(arg, "elts", []), *getattr(arg, "values", [])]):
                    if isinstance(lit, ast.Constant) and isinstance(lit.value, str):
                        self.attr(lit, lit.value, None)
                    elif lit is not None and dynamic_string(lit):
                        self.add(lit, "dynamic-attribute",
                                 f"a string built at run time is passed to .{name}()",
                                 "pass a function or a literal method name")
        if name == "plot":
            self.plot_target(node)
        if self.mutates_data(node, func):
            self.add(node, "data-tamper", "in-place change of the data the strategy is scored on",
                     "copy first: arr = self.data.Close.copy(); df = self.data.df.copy()")

    def plot_target(self, node: ast.Call) -> None:
        """``bt.plot(filename=...)`` writes a file: only a plain relative name is accepted."""
        for k in node.keywords:
            if k.arg != "filename":
                continue
            v = k.value
            ok = (isinstance(v, ast.Constant) and (v.value is None or isinstance(v.value, str)
                  and not v.value.startswith(("/", "~", "\\")) and ".." not in v.value
                  and ":" not in v.value))
            if not ok:
                self.add(k.value, "io-call", "plot() writes outside the working directory",
                         "call bt.plot() without filename, or with a plain name like 'plot.html'")

    def mutates_data(self, node: ast.Call, func: ast.Attribute) -> bool:
        aliases = self.f.data_aliases
        if func.attr in P.INPLACE_METHODS and rooted_at_self_data(func.value, aliases):
            return True
        for k in node.keywords:
            if k.arg == "inplace" and rooted_at_self_data(func.value, aliases):
                return True
            if k.arg == "out" and rooted_at_self_data(k.value, aliases):
                return True
        return (func.attr in P.NP_OUT_FUNCS and bool(node.args)
                and rooted_at_self_data(node.args[0], aliases))

    def attr_builtin(self, node: ast.Call, fn: str) -> None:
        if len(node.args) < 2:
            return
        name = node.args[1]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            self.add(node, "dynamic-attribute", f"{fn}() with a name computed at run time",
                     "write obj.attr directly")
            return
        load = fn == "getattr"
        self.attr(node, name.value, node.args[0], load=load)
        if not load:
            fake = ast.Attribute(value=node.args[0], attr=name.value, ctx=ast.Store())
            ast.copy_location(fake, node)
            self.store_target(fake, node.args[0])

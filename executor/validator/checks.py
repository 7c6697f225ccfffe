"""The validator's rules, applied in one iterative pass over the AST."""

from __future__ import annotations

import ast
from typing import Any

from executor.types import Violation
from executor.validator import policy as P
from executor.validator.attrs import SELF_NAMES, forbidden_path, is_dunder, judge, module_path
from executor.validator.facts import Facts
from executor.validator.flow import FUNCS, first_rebinding
from executor.validator.modules import (
    canonical_path,
    is_class_path,
    is_module_path,
    ufunc_inputs,
)
from executor.validator.scopes import Scopes
from executor.validator.strings import check_strings, dynamic_string, format_receiver_ok

Found = tuple[int, int, str, str, str]
FORMAT_NAMES = ("format", "format_map")
PLOTTERS = ("plot", "plot_heatmaps")
OPTION_SETTERS = ("set_option", "option_context")
# What a type annotation may contain: names, dotted names, subscripts, literals, X | Y.
ANNOTATION_NODES = (ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.List, ast.Constant,
                    ast.BinOp, ast.BitOr, ast.Load)


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
        if not all(t is None or t.converged for t in (self.f.data, self.f.libglobal)):
            self.add(self.nodes[0], "too-deep", "the file's chains of assignments are too long "
                     "to follow", "assign values directly; avoid long chains of aliases")
        self.check_string_annotations()
        return self.out

    def check_string_annotations(self) -> None:
        """Annotations are evaluated later (get_type_hints, singledispatch, dataclasses):
        they must be plain type expressions, and string annotations are checked as code."""
        for node in self.nodes:
            ann: list[ast.AST | None] = []
            if isinstance(node, ast.arg):
                ann = [node.annotation]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                ann = [node.returns]
            elif isinstance(node, ast.AnnAssign):
                ann = [node.annotation]
            for a in ann:
                if a is not None:
                    self.check_annotation(a, a, 0)

    def check_annotation(self, expr: ast.AST, at: ast.AST, depth: int) -> None:
        for c in ast.walk(expr):
            if not isinstance(c, ANNOTATION_NODES) or depth > 3 or (
                    isinstance(c, ast.BinOp) and not isinstance(c.op, ast.BitOr)):
                self.add(at, "annotation", f"the annotation {ast.unparse(expr)[:60]!r} is not "
                         "a plain type", "annotate with names like int, float, pd.Series, "
                         "list[float], 'MyClass'")
                return
            if isinstance(c, ast.Constant) and isinstance(c.value, str):
                self.check_snippet(c, at, depth)
            elif isinstance(c, ast.Name):  # a type alias: X = "np.testing"; def f(a: X)
                for value in self.f.str_values.get(c.id, []):
                    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                            and value.func.id in ("TypeVar", "NewType"):
                        value = ast.Tuple(elts=[*value.args, *(k.value for k in value.keywords)],
                                          ctx=ast.Load())
                    if value is not c and not isinstance(value, ast.Name):
                        self.check_annotation(value, at, depth + 1)

    def check_snippet(self, const: ast.Constant, at: ast.AST, depth: int) -> None:
        try:
            expr = ast.parse(str(const.value).strip(), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        mod = ast.Module(body=[ast.Expr(expr.body)], type_ignores=[])
        for n in ast.walk(mod):
            if hasattr(n, "lineno"):
                n.lineno, n.col_offset = at.lineno, at.col_offset  # type: ignore[attr-defined]
        nodes = list(ast.walk(mod))
        parents = {c: p for p in nodes for c in ast.iter_child_nodes(p)}
        sub = Checker(nodes, parents, self.f, allowed=self.allowed, script=self.script)
        for n in nodes:
            handler = getattr(sub, "visit_" + type(n).__name__, None)
            if handler is not None:
                handler(n)
        self.out.extend(sub.out)
        self.check_annotation(expr.body, at, depth + 1)

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
    def module_escape(self, node: ast.Name | ast.Attribute) -> None:
        """A module may only be the left side of ``mod.attr``: nothing else can hold one."""
        if not isinstance(node.ctx, ast.Load):
            return
        parent = self.parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return
        if isinstance(parent, ast.Call) and parent.func is node:
            return  # called: a module cannot be, so nothing escapes
        path = module_path(node, self.f.module_alias)
        if path is not None and is_module_path(path):
            self.add(node, "module-value", f"the module {path!r} is used as a value",
                     f"call its functions directly ({ast.unparse(node)}.name(...)); modules "
                     "cannot be stored, passed, returned or combined")

    def visit_Name(self, node: ast.Name) -> None:
        self.module_escape(node)
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
        self.module_escape(node)
        if node.attr in OPTION_SETTERS and not (isinstance(parent, ast.Call)
                                                 and parent.func is node):
            self.add(node, "forbidden-call", f".{node.attr} may only be called directly",
                     "write pd.set_option('display.width', 120)")
        if node.attr in FORMAT_NAMES and not self.format_call_ok(node, parent):
            self.add(node, "format-attribute",
                     f".{node.attr} may only be called directly on a string literal",
                     "use an f-string with plain expressions")
        if isinstance(parent, ast.Call) and parent.func is not node:
            parent = None
        self.attr(node, node.attr, node.value, load=load, parent=parent)
        if not load:
            self.store_target(node, node.value)

    def store_target(self, node: ast.AST, receiver: ast.AST) -> None:
        """Assignments/deletions through attributes or subscripts."""
        assert self.f.data is not None and self.f.libglobal is not None
        root = receiver
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if self.f.data.holds(receiver):
            self.add(node, "data-tamper", "the strategy must not modify the data it is scored on",
                     "copy first: df = self.data.df.copy(), or build new arrays with self.I()")
        elif (self.f.libglobal.holds(receiver) if isinstance(node, ast.Attribute)
              else module_path(receiver, self.f.module_alias) is not None):
            # attributes: of anything that may be a library object; items: of an object
            # reached from an import (GOOG[...], pd.options...), not of a list holding one
            path = ast.unparse(node) if isinstance(node, ast.Attribute) else ""
            if not (path.startswith(("pd.options.", "pandas.options."))
                    and path.split(".", 2)[-1].startswith(P.SAFE_OPTION_PREFIXES)):
                self.add(node, "monkeypatch",
                         f"assigning into {ast.unparse(receiver)[:60]!r} (a library module, "
                         "class or function) is not allowed",
                         "subclass Strategy and override methods in your own class")
        elif isinstance(node, ast.Attribute) and self.is_param(root):
            self.add(node, "monkeypatch",
                     f"setting an attribute on the parameter {ast.unparse(root)!r}",
                     "set attributes on self, or return a new value from the helper")

    def is_param(self, node: ast.AST) -> bool:
        """A parameter (not self/cls) still holding whatever the caller passed in."""
        if not isinstance(node, ast.Name) or node.id in SELF_NAMES or self.f.libglobal is None:
            return False
        scope, _ = self.f.libglobal.key(node, node.id)
        if not isinstance(scope, FUNCS):
            return False
        a = scope.args
        params = [p.arg for p in [*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg]
                  if p is not None]
        if isinstance(self.parents.get(scope), ast.ClassDef) and params[:1] == [node.id]:
            return False  # a method's own instance, whatever it is called
        return node.id in params and first_rebinding(scope, node.id) is None

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.store_target(node, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        assert self.f.data is not None
        if isinstance(node.target, ast.Name) and self.f.data.holds(node.target):
            self.add(node, "data-tamper", "the strategy must not modify the data it is scored on",
                     "copy first: arr = self.data.Close.copy()")

    # -- match / case: class and mapping patterns read attributes/keys ----------------------
    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for name in node.kwd_attrs:
            self.attr(node, name, node.cls)
            if name in FORMAT_NAMES:
                self.add(node, "format-attribute", f"a pattern reads .{name}",
                         "use an f-string with plain expressions")

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        for key in node.keys:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self.attr(key, key.value, None)

    # -- calls ---------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in P.ATTR_BUILTINS:
            self.attr_builtin(node, func.id)
            return
        if isinstance(func, ast.Name):
            self.file_kwargs(node, func.id)
            if self.ufunc_out(node, func):
                self.add(node, "data-tamper", "a ufunc writes its result into the data",
                         "let the ufunc return a new array: y = np.add(a, b)")
            if func.id in PLOTTERS:
                self.plot_target(node)
        if not isinstance(func, ast.Attribute):
            return
        name = func.attr
        self.file_kwargs(node, name)
        if name in P.STRING_DISPATCH_METHODS:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for lit in ([arg] if not isinstance(arg, (ast.List, ast.Tuple, ast.Dict))
                            else [*getattr(arg, "elts", []), *getattr(arg, "values", [])]):
                    if isinstance(lit, ast.Constant) and isinstance(lit.value, str):
                        self.attr(lit, lit.value, None)
                        if lit.value in FORMAT_NAMES:
                            self.add(lit, "format-attribute", f"{lit.value!r} passed by name",
                                     "use an f-string with plain expressions")
                    elif lit is not None and dynamic_string(lit):
                        self.add(lit, "dynamic-attribute",
                                 f"a string built at run time is passed to .{name}()",
                                 "pass a function or a literal method name")
        if name in PLOTTERS:
            self.plot_target(node)
        if self.mutates_data(node, func):
            self.add(node, "data-tamper", "in-place change of the data the strategy is scored on",
                     "copy first: arr = self.data.Close.copy(); df = self.data.df.copy()")

    def format_call_ok(self, node: ast.Attribute, parent: ast.AST | None) -> bool:
        """``"lit".format(...)`` / ``str.format("lit", ...)``: the template is known."""
        if not (isinstance(parent, ast.Call) and parent.func is node):
            return False
        recv = node.value
        if isinstance(recv, ast.Name) and recv.id == "str" and recv.id not in self.f.bound:
            if not parent.args or isinstance(parent.args[0], ast.Starred):
                return False
            recv = parent.args[0]
        return format_receiver_ok(recv, self.f.str_values)

    def file_kwargs(self, node: ast.Call, name: str) -> None:
        """Keyword arguments naming a file or buffer; ``pd.set_option`` of engine options."""
        for k in node.keywords:
            if k.arg in P.FILE_KWARGS and not (name in PLOTTERS and k.arg == "filename"):
                self.add(k.value, "io-call", f"{name}({k.arg}=...) writes or reads a file",
                         "keep results in memory; the harness records stats and plots")
        for k in node.keywords:
            if k.arg == "backend" and not (isinstance(k.value, ast.Constant)
                                           and k.value.value in (None, "matplotlib")):
                self.add(k.value, "forbidden-call", f"{name}(backend=...) imports a module by "
                         "name", "leave the plotting backend at its default")
        if name == "to_string" and node.args:
            self.add(node, "io-call", "to_string(buf) writes to a file or buffer",
                     "call to_string() without arguments and print the result")
        if name in OPTION_SETTERS:
            keys = node.args[0::2] or [node]
            if node.keywords:
                keys.append(node)
            for key in keys:
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)
                        and key.value.startswith(P.SAFE_OPTION_PREFIXES)):
                    self.add(key, "forbidden-call", "only display.*/mode.*/future.* pandas "
                             "options may be set", "write pd.set_option('display.width', 120)")

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
        assert self.f.data is not None
        holds = self.f.data.holds
        if func.attr in P.INPLACE_METHODS and holds(func.value):
            return True
        for k in node.keywords:
            if k.arg == "inplace" and holds(func.value):
                return True
            if k.arg == "out" and holds(k.value):
                return True
        if func.attr in P.NP_OUT_FUNCS and node.args and holds(node.args[0]):
            return True
        owner = module_path(func.value, self.f.module_alias)
        if func.attr in P.INPLACE_METHODS and owner and is_class_path(canonical_path(owner)):
            return bool(node.args) and holds(node.args[0])  # np.ndarray.fill(data, 0)
        return self.ufunc_out(node, func)

    def ufunc_out(self, node: ast.Call, func: ast.expr) -> bool:
        """``np.add(a, b, data)`` / ``add(a, b, data)``: positions after a ufunc's inputs
        are its outputs."""
        assert self.f.data is not None
        holds = self.f.data.holds
        if not any(holds(a) for a in node.args[1:]):
            return False
        path = module_path(func, self.f.module_alias)
        nin = ufunc_inputs(canonical_path(path)) if path else None
        return nin is not None and any(holds(a) for a in node.args[nin:])

    def attr_builtin(self, node: ast.Call, fn: str) -> None:
        if any(isinstance(a, ast.Starred) for a in node.args) or node.keywords:
            self.add(node, "dynamic-attribute", f"{fn}() with unpacked arguments",
                     "write obj.attr directly")
            return
        if len(node.args) < 2:
            return
        name = node.args[1]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            self.add(node, "dynamic-attribute", f"{fn}() with a name computed at run time",
                     "write obj.attr directly")
            return
        load = fn == "getattr"
        if name.value in FORMAT_NAMES:
            self.add(node, "format-attribute", f"{fn}(..., {name.value!r}) hides a format call",
                     "use an f-string with plain expressions")
        self.attr(node, name.value, node.args[0], load=load)
        if not load:
            fake = ast.Attribute(value=node.args[0], attr=name.value, ctx=ast.Store())
            ast.copy_location(fake, node)
            self.store_target(fake, node.args[0])

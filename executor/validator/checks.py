"""The validator's rules, applied in one iterative pass over the AST."""

from __future__ import annotations

import ast
from typing import Any

from executor.types import Violation
from executor.validator import policy as P
from executor.validator.annotations import AnnotationRules
from executor.validator.attrs import SELF_NAMES, forbidden_path, is_dunder, module_path
from executor.validator.bindings import FUNCS
from executor.validator.calls import FORMAT_NAMES, OPTION_SETTERS, CallRules
from executor.validator.flow import first_rebinding
from executor.validator.modules import is_module_path
from executor.validator.strings import check_strings

Found = tuple[int, int, str, str, str]


class Checker(CallRules, AnnotationRules):
    """All rule families, applied in one pass over the nodes."""

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

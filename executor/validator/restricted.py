"""RestrictedPython as a real second layer for strategy modules.

* :func:`restricted_violations` — compile-time second opinion (``validate(restricted=True)``).
* :func:`exec_restricted` — execute a strategy module with RestrictedPython's rewriting
  plus the run-time guards of :mod:`guards`; backtesting.py runs the resulting Strategy
  subclass normally. Costs ~a Python call per attribute access (``bench/bench_restricted.py``).

Turn it on when the code comes from an untrusted model and the sandbox cannot isolate
well (no network namespace, no Docker); it adds defence against what static checks miss
(attribute names built at run time, aliasing). Imports: stdlib, RestrictedPython and
:mod:`policy` only, so the in-sandbox harness may import it.
"""

from __future__ import annotations

import ast
import copy
import re
import sys
import types
from collections.abc import Iterable
from typing import Any

from RestrictedPython import compile_restricted_exec
from RestrictedPython.transformer import (
    INSPECT_ATTRIBUTES,
    IOPERATOR_TO_STR,
    RestrictingNodeTransformer,
    copy_locations,
)

from executor.validator import policy as P
from executor.validator.guards import RUNTIME_DUNDERS, Guards

_LINE = re.compile(r"Line (\d+):\s*(.*)")
_RP_INTERNAL = re.compile(r"^_[A-Za-z0-9_]*_$")  # _getattr_, _write_, _print_ ...


class StrategyPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, relaxed just enough for backtesting.py strategies:
    private names (``self._x``, ``_helper``) and ``super().__init__``/``__name__``; the
    run-time guards still decide every attribute access."""

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name is None:
            return
        if name.startswith("__") and name.endswith("__"):
            if name in P.ALLOWED_DUNDER_NAMES or name in RUNTIME_DUNDERS or (
                    allow_magic_methods and isinstance(node, ast.FunctionDef)):
                return
        elif name.startswith("_") and not _RP_INTERNAL.match(name):
            return
        super().check_name(node, name, allow_magic_methods)

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self._class_stack = [*getattr(self, "_class_stack", []), node.name]
        try:
            return super().visit_ClassDef(node)
        finally:
            self._class_stack = self._class_stack[:-1]

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        attr = node.attr
        stack = getattr(self, "_class_stack", [])
        if attr.startswith("__") and not attr.endswith("__") and stack and stack[-1].strip("_"):
            attr = f"_{stack[-1].lstrip('_')}{attr}"  # the compiler's private-name mangling
        if attr.startswith("_") and attr != "_":
            dunder = attr.startswith("__") and attr.endswith("__")
            if (attr not in RUNTIME_DUNDERS) if dunder else bool(_RP_INTERNAL.match(attr)):
                self.error(node, f'"{attr}" is an invalid attribute name.')
        if attr in INSPECT_ATTRIBUTES:
            self.error(node, f'"{attr}" is a restricted name.')
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            new: ast.expr = ast.Call(func=ast.Name("_getattr_", ast.Load()),
                                    args=[node.value, ast.Constant(attr)], keywords=[])
            copy_locations(new, node)
            return new
        wrapped = ast.Call(func=ast.Name("_write_", ast.Load()), args=[node.value], keywords=[])
        copy_locations(wrapped, node.value)
        node.value = wrapped
        return node


    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        """Annotated assignments (dataclass fields, ``n: int = 20``): children are guarded."""
        return self.node_contents_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        """``self.x += 1`` becomes ``self.x = _inplacevar_("+=", self.x, 1)`` (guarded)."""
        if not isinstance(node.target, (ast.Attribute, ast.Subscript)):
            return super().visit_AugAssign(node)
        load = copy.deepcopy(node.target)
        load.ctx = ast.Load()
        call = ast.Call(func=ast.Name("_inplacevar_", ast.Load()),
                        args=[ast.Constant(IOPERATOR_TO_STR[type(node.op)]), self.visit(load),
                              self.visit(node.value)], keywords=[])
        assign = ast.Assign(targets=[self.visit(node.target)], value=call)
        ast.copy_location(assign, node)
        ast.fix_missing_locations(assign)
        return assign


def restricted_violations(code: str) -> list[Any]:
    """RestrictedPython's compile-time verdict on ``code`` as Violations (rule restricted-python)."""
    from executor.types import Violation

    try:
        result = compile_restricted_exec(code, "<strategy>", policy=StrategyPolicy)
    except (RecursionError, MemoryError, ValueError) as e:
        return [Violation(1, 0, "restricted-python", f"RestrictedPython failed: {e}",
                          "simplify the code")]
    out = []
    for err in result.errors:
        m = _LINE.search(err)
        line = int(m.group(1)) if m else 1
        out.append(Violation(line, 0, "restricted-python", m.group(2) if m else err,
                             "use plain attribute access on public names; no dunders, no "
                             "frame/code objects"))
    return out


_COMPILED: dict[tuple[str, str], Any] = {}  # (source, filename) -> its compile result


def compile_once(code: str, filename: str) -> Any:
    """RestrictedPython's compile result for ``code``, kept for the next call (the
    harness compiles a request's code once, before it forks the workers that exec it; a
    reused container serves one code version). One entry: a process runs one code."""
    key = (code, filename)
    hit = _COMPILED.get(key)
    if hit is None:
        hit = compile_restricted_exec(code, filename, policy=StrategyPolicy)
        _COMPILED.clear()
        _COMPILED[key] = hit
    return hit


def exec_restricted(code: str, module_name: str, filename: str,
                    allowed_imports: Iterable[str] | None = None) -> types.ModuleType:
    """Execute strategy source under RestrictedPython's guards; return the module.

    Raises SyntaxError when RestrictedPython refuses to compile the code, and
    AttributeError/ImportError/TypeError (prefixed "restricted:") when a guard refuses
    something at run time.
    """
    result = compile_once(code, filename)
    if result.errors or result.code is None:
        raise SyntaxError("; ".join(result.errors) or "RestrictedPython refused the code")
    allowed = frozenset(P.DEFAULT_ALLOWED_IMPORTS if allowed_imports is None else allowed_imports)
    module = types.ModuleType(module_name)
    module.__file__ = filename
    module.__dict__.update(Guards(module_name, allowed).namespace())
    sys.modules[module_name] = module
    try:
        exec(result.code, module.__dict__)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module

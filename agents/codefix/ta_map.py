"""pandas_ta and ``ta`` (bukosabino) indicator calls -> talib equivalents.

Covered forms (``ta`` = however pandas_ta / ta is imported):

- ``ta.rsi(close, length=14)``                 -> ``talib.RSI(close, timeperiod=14)``
- ``self.I(ta.rsi, close, length=14)``         -> ``self.I(talib.RSI, close, timeperiod=14)``
- ``ta.bbands(close, 20, 2)['BBU_20_2.0']``    -> ``talib.BBANDS(close, timeperiod=20, ...)[0]``
- ``bb = ta.bbands(...)`` then ``bb['BBL_..']`` -> ``bb = talib.BBANDS(...)``, ``bb[2]``
- ``ta.momentum.RSIIndicator(close, 14).rsi()`` -> ``talib.RSI(close, timeperiod=14)``

Anything else that uses the library is reported as unresolved.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from agents.codefix.source import Edit, Source, dotted
from agents.codefix.ta_specs import HARMLESS_KW, PTA, TA_CLASSES, Output, Spec
from agents.codefix.types import Change
from agents.errors import RbiError


@dataclass
class Aliases:
    """Names under which pandas_ta / ta are reachable in the module."""

    pta: set[str] = field(default_factory=set)  # `import pandas_ta as ta`
    ta_mod: set[str] = field(default_factory=set)  # `import ta`, `from ta import momentum`
    ta_cls: dict[str, str] = field(default_factory=dict)  # `from ta.momentum import RSIIndicator`

    @classmethod
    def of(cls, tree: ast.Module) -> Aliases:
        a = cls()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for n in node.names:
                    if n.name == "pandas_ta":
                        a.pta.add(n.asname or n.name)
                    elif n.name == "ta" or n.name.startswith("ta."):
                        a.ta_mod.add(n.asname or n.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "ta" or node.module.startswith("ta."):
                    for n in node.names:
                        if n.name in TA_CLASSES:
                            a.ta_cls[n.asname or n.name] = n.name
                        else:
                            a.ta_mod.add(n.asname or n.name)
        return a

    def names(self) -> set[str]:
        return self.pta | self.ta_mod | set(self.ta_cls)

    def pta_func(self, node: ast.AST) -> Spec | None:
        d = dotted(node)
        head, _, name = d.rpartition(".")
        return PTA.get(name) if head in self.pta else None

    def ta_class(self, node: ast.AST) -> Spec | None:
        d = dotted(node)
        if d in self.ta_cls:
            return TA_CLASSES[self.ta_cls[d]]
        head, _, name = d.rpartition(".")
        root = head.split(".")[0]
        return TA_CLASSES.get(name) if root in self.ta_mod else None


class _Unmappable(RbiError):
    pass


def _talib_args(src: Source, call: ast.Call, spec: Spec, skip: int = 0,
                args: list[ast.expr] | None = None) -> str:
    """Arguments text for the talib call: inputs positionally, params by keyword."""
    pos = list(args if args is not None else call.args)[skip:]
    kws = {k.arg: k.value for k in call.keywords if k.arg}
    if any(k.arg is None for k in call.keywords):
        raise _Unmappable("**kwargs")
    parts: list[str] = []
    for name in spec.inputs:
        node = pos.pop(0) if pos else kws.pop(name, None) or kws.pop(name + "_", None)
        if node is None:
            raise _Unmappable(f"missing input {name!r}")
        parts.append(src.text(node))
    for lib_kw, talib_kw, default in spec.params:
        node = pos.pop(0) if pos else kws.pop(lib_kw, None)
        value = src.text(node) if node is not None else repr(default)
        parts.extend(f"{kw}={value}" for kw in talib_kw.split("+"))
    parts.extend(f"{kw}={value!r}" for kw, value in spec.fixed)
    if pos:
        raise _Unmappable("extra positional arguments")
    unknown = set(kws) - HARMLESS_KW - {"name", "plot", "overlay", "color", "scatter"}
    if unknown:
        raise _Unmappable(f"unsupported keyword(s) {sorted(unknown)}")
    return ", ".join(parts)


def _key(node: ast.expr) -> str | int | None:
    """A subscript key: 'BBU_20_2.0' or the column position of ``.iloc[:, i]``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int):
        return node.value
    if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[0], ast.Slice):
        col = node.elts[1]
        if isinstance(col, ast.Constant) and isinstance(col.value, int):
            return col.value
    return None


def _pick(spec: Spec, key: str | int | None) -> Output | None:
    if isinstance(key, int):
        return spec.outputs[key] if -len(spec.outputs) <= key < len(spec.outputs) else None
    return spec.output(key) if isinstance(key, str) else None


def _out_expr(out: Output, args: str) -> str:
    tail = f"[{out.index}]" if out.index is not None else ""
    return f"talib.{out.func}({args}){tail}"


def _bound_expr(spec: Spec, args: str) -> tuple[str, dict[str, int]]:
    """Expression for ``x = <multi-output call>`` and each output's position in it."""
    usable = [o for o in spec.outputs if o.func]
    if len({o.func for o in usable}) == 1:
        return f"talib.{usable[0].func}({args})", {o.prefix: o.index or 0 for o in usable}
    return "(" + ", ".join(_out_expr(o, args) for o in usable) + ")", \
        {o.prefix: i for i, o in enumerate(usable)}


class _Pass:
    def __init__(self, src: Source, aliases: Aliases) -> None:
        self.src, self.al = src, aliases
        self.edits: list[Edit] = []
        self.changes: list[Change] = []
        self.unresolved: list[Change] = []

    def replace(self, node: ast.AST, text: str, what: str) -> None:
        start, end = self.src.span(node)
        self.edits.append(Edit(start, end, text))
        self.changes.append(Change("ta-to-talib", node.lineno, what))  # type: ignore[attr-defined]

    def fail(self, node: ast.AST, why: str) -> None:
        self.unresolved.append(Change("ta-to-talib", node.lineno,  # type: ignore[attr-defined]
                                      f"`{self.src.text(node)[:80]}`: {why}"))

    def run(self) -> None:
        done: set[int] = set()
        for node in ast.walk(self.src.tree):
            if id(node) in done:
                continue
            try:
                handled = self.visit(node, done)
            except _Unmappable as e:
                self.fail(node, str(e))
                handled = True
            if handled:
                done.update(id(n) for n in ast.walk(node))
        self.bound_names(done)

    def visit(self, node: ast.AST, done: set[int]) -> bool:
        src = self.src
        # ta.bbands(...)['BBU_..'] / ta.bbands(...).iloc[:, 0] / RSIIndicator(...).rsi()
        if isinstance(node, ast.Subscript):
            base = node.value
            if isinstance(base, ast.Attribute) and base.attr == "iloc":
                base = base.value
            if isinstance(base, ast.Call) and (spec := self.al.pta_func(base.func)) \
                    and spec.outputs:
                out = _pick(spec, _key(node.slice))
                if out is None or out.func is None:
                    raise _Unmappable("no talib equivalent for this output column")
                self.replace(node, _out_expr(out, _talib_args(src, base, spec)),
                             f"pandas_ta {dotted(base.func)}()[{src.text(node.slice)}] "
                             f"-> talib.{out.func}")
                return True
            return False
        if not isinstance(node, ast.Call):
            return False
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call) \
                and (spec := self.al.ta_class(node.func.value.func)):
            out = spec.output(node.func.attr)
            if out is None or out.func is None:
                raise _Unmappable(f"no talib equivalent for .{node.func.attr}()")
            self.replace(node, _out_expr(out, _talib_args(src, node.func.value, spec)),
                         f"ta {dotted(node.func.value.func)}(...).{node.func.attr}() "
                         f"-> talib.{out.func}")
            return True
        # self.I(ta.rsi, close, length=14)
        if dotted(node.func).endswith(".I") and node.args \
                and (spec := self.al.pta_func(node.args[0])):
            if spec.outputs and spec.func != "ADX":
                raise _Unmappable("multi-output pandas_ta indicator passed to self.I: "
                                  "talib returns its outputs in another order")
            args = _talib_args(src, node, spec, skip=1)
            extra = [src.text(k) for k in node.keywords
                     if k.arg in {"name", "plot", "overlay", "color", "scatter"}]
            text = f"{src.text(node.func)}(talib.{spec.func}, " + ", ".join([args] + extra) + ")"
            self.replace(node, text, f"self.I({dotted(node.args[0])}, ...) -> "
                                     f"self.I(talib.{spec.func}, ...)")
            return True
        if (spec := self.al.pta_func(node.func)) is not None:
            if spec.outputs and spec.func != "ADX":
                return False  # handled by bound_names() or reported there
            self.replace(node, f"talib.{spec.func}({_talib_args(src, node, spec)})",
                         f"pandas_ta {dotted(node.func)}() -> talib.{spec.func}()")
            return True
        return False

    def bound_names(self, done: set[int]) -> None:
        """``bb = ta.bbands(...)`` followed by ``bb['BBU_...']`` in the same scope."""
        for scope in ast.walk(self.src.tree):
            if not isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for stmt in ast.walk(scope):
                if id(stmt) in done or not isinstance(stmt, ast.Assign) \
                        or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name) \
                        or not isinstance(stmt.value, ast.Call):
                    continue
                call, var = stmt.value, stmt.targets[0].id
                spec = self.al.pta_func(call.func) or None
                if spec is None or not spec.outputs:
                    continue
                done.update(id(n) for n in ast.walk(stmt))
                try:
                    self.rewrite_bound(scope, stmt, call, var, spec)
                except _Unmappable as e:
                    self.fail(call, str(e))

    def rewrite_bound(self, scope: ast.AST, stmt: ast.Assign, call: ast.Call, var: str,
                      spec: Spec) -> None:
        expr, index = _bound_expr(spec, _talib_args(self.src, call, spec))
        uses: list[tuple[ast.AST, int]] = []
        for node in ast.walk(scope):
            if isinstance(node, ast.Subscript):
                base = node.value
                if isinstance(base, ast.Attribute) and base.attr == "iloc":
                    base = base.value
                if isinstance(base, ast.Name) and base.id == var:
                    out = _pick(spec, _key(node.slice))
                    if out is None or out.prefix not in index:
                        raise _Unmappable(f"use of {self.src.text(node)!r} has no talib mapping")
                    uses.append((node, index[out.prefix]))
        bare = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == var
                and isinstance(n.ctx, ast.Load)]
        if len(bare) != len(uses):
            raise _Unmappable(f"{var!r} is used other than by column key")
        self.replace(call, expr, f"pandas_ta {dotted(call.func)}() -> {expr.split('(')[0]}")
        for node, i in uses:
            self.replace(node, f"{var}[{i}]", f"{self.src.text(node)} -> {var}[{i}]")


def rewrite_ta(src: Source) -> tuple[list[Edit], list[Change], list[Change]]:
    """One pass: (edits, changes, unresolved) mapping pandas_ta / ta usage to talib."""
    aliases = Aliases.of(src.tree)
    if not aliases.names():
        return [], [], []
    p = _Pass(src, aliases)
    p.run()
    return p.edits, p.changes, p.unresolved


def library_uses(tree: ast.Module) -> list[ast.AST]:
    """Remaining references to pandas_ta / ta names (after rewriting)."""
    names = Aliases.of(tree).names()
    return [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in names
            and isinstance(n.ctx, ast.Load)]

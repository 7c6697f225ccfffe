"""Annotation rules: annotations are evaluated later (singledispatch, get_type_hints), so
they may only be plain type expressions and their strings are checked as code."""

from __future__ import annotations

import ast

from executor.validator.base import RuleBase

# What a type annotation may contain: names, dotted names, subscripts, literals, X | Y.
ANNOTATION_NODES = (ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.List, ast.Constant,
                    ast.BinOp, ast.BitOr, ast.Load)


class AnnotationRules(RuleBase):
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
        sub = type(self)(nodes, parents, self.f, allowed=self.allowed, script=self.script)
        for n in nodes:
            handler = getattr(sub, "visit_" + type(n).__name__, None)
            if handler is not None:
                handler(n)
        self.out.extend(sub.out)
        self.check_annotation(expr.body, at, depth + 1)

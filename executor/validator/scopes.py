"""Just enough scope analysis to tell a builtin from a local variable of the same name.

``open = self.data.Open`` inside a method makes ``open`` a local of that method: Python
decides this statically, so a load there can never reach the builtin. Loads at module or
class level (and of globals inside functions) can, so only function-local bindings count.
"""

from __future__ import annotations

import ast

FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class Scopes:
    def __init__(self, parents: dict[ast.AST, ast.AST]) -> None:
        self.parents = parents
        self._locals: dict[ast.AST, set[str]] = {}

    def enclosing(self, node: ast.AST) -> list[ast.AST]:
        """Function-like scopes whose body ``node`` is evaluated in, innermost first."""
        scopes: list[ast.AST] = []
        child, parent = node, self.parents.get(node)
        outer_iter = False
        while parent is not None:
            if isinstance(parent, ast.comprehension):
                comp = self.parents.get(parent)
                if (child is parent.iter and isinstance(comp, COMPS)
                        and comp.generators[0] is parent):
                    outer_iter = True
            elif isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if child in parent.body:
                    scopes.append(parent)
            elif isinstance(parent, ast.Lambda):
                if child is parent.body:
                    scopes.append(parent)
            elif isinstance(parent, COMPS):
                if outer_iter:
                    outer_iter = False
                else:
                    scopes.append(parent)
            child, parent = parent, self.parents.get(parent)
        return scopes

    def locals_of(self, scope: ast.AST) -> set[str]:
        if scope not in self._locals:
            self._locals[scope] = _collect_locals(scope)
        return self._locals[scope]

    def is_local(self, node: ast.Name) -> bool:
        """True when ``node.id`` is a local of an enclosing function (never a builtin)."""
        return any(node.id in self.locals_of(s) for s in self.enclosing(node))


def _collect_locals(scope: ast.AST) -> set[str]:
    names: set[str] = set()
    declared: set[str] = set()
    if isinstance(scope, FUNCS):
        a = scope.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                names.add(arg.arg)
        body: list[ast.AST] = list(scope.body) if isinstance(scope.body, list) else [scope.body]
    else:
        body = [g.target for g in scope.generators]  # type: ignore[attr-defined]
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue  # its body is another scope
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Lambda, *COMPS)):
            continue
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        stack.extend(ast.iter_child_nodes(node))
    return names - declared

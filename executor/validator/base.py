"""State and helpers every rule family of the checker shares."""

from __future__ import annotations

import ast

from executor.types import Violation
from executor.validator.attrs import judge
from executor.validator.facts import Facts
from executor.validator.scopes import Scopes


class RuleBase:
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

    def store_target(self, node: ast.AST, receiver: ast.AST) -> None:
        """Judge a store through ``receiver`` (the Checker's store rules)."""
        raise NotImplementedError

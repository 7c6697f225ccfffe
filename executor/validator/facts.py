"""A first pass over the tree: what the file imports, defines and assigns.

The rules in :mod:`checks` need these facts (module aliases, the file's own private
attributes, its classes, which names hold constant strings) before they can judge a node.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from executor.validator.policy import STRATEGY_BASES

REEXPORTS = {"np": "numpy", "pd": "pandas"}


@dataclass
class Facts:
    module_alias: dict[str, str] = field(default_factory=dict)  # local name -> dotted path
    imported: set[str] = field(default_factory=set)  # every name bound by an import
    own_attrs: set[str] = field(default_factory=set)  # attributes the file defines itself
    classes: set[str] = field(default_factory=set)
    strategies: list[ast.ClassDef] = field(default_factory=list)
    str_values: dict[str, list[ast.AST]] = field(default_factory=dict)  # name -> assigned values
    data_aliases: set[str] = field(default_factory=set)  # names bound to self.data views
    star_import: bool = False
    bound: set[str] = field(default_factory=set)  # any name bound anywhere


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def rooted_at_self_data(node: ast.AST, aliases: set[str]) -> bool:
    """``self.data...`` / ``self._data...`` or a name bound to such a view."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if (isinstance(node, ast.Attribute) and node.attr in ("data", "_data")
                and isinstance(node.value, ast.Name) and node.value.id == "self"):
            return True
        node = node.value
    return isinstance(node, ast.Name) and node.id in aliases


def collect(nodes: list[ast.AST]) -> Facts:
    f = Facts()
    class_defs: list[ast.ClassDef] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    f.module_alias[a.asname] = a.name
                    f.imported.add(a.asname)
                else:
                    top = a.name.split(".")[0]
                    f.module_alias[top] = top
                    f.imported.add(top)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name == "*":
                    f.star_import = True
                    continue
                local = a.asname or a.name
                f.imported.add(local)
                f.module_alias[local] = REEXPORTS.get(a.name, f"{node.module}.{a.name}")
        elif isinstance(node, ast.ClassDef):
            class_defs.append(node)
            f.classes.add(node.name)
            for stmt in node.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    f.own_attrs.add(stmt.name)
                elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    for t in targets:
                        for n in ast.walk(t):
                            if isinstance(n, ast.Name):
                                f.own_attrs.add(n.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                f.own_attrs.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            f.bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            f.bound.add(node.name)
            for arg in ast.walk(node.args):
                if isinstance(arg, ast.arg):
                    f.bound.add(arg.arg)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    f.str_values.setdefault(t.id, []).append(node.value)
                    if isinstance(node.value, ast.Name) and node.value.id in f.module_alias:
                        f.module_alias[t.id] = f.module_alias[node.value.id]
                    if rooted_at_self_data(node.value, f.data_aliases):
                        f.data_aliases.add(t.id)
    f.bound |= f.imported | f.classes
    # Strategy subclasses: direct, or derived from one defined earlier in the file.
    known = set(STRATEGY_BASES)
    changed = True
    while changed:
        changed = False
        for c in class_defs:
            if c not in f.strategies and any(_base_name(b) in known for b in c.bases):
                f.strategies.append(c)
                known.add(c.name)
                changed = True
    return f

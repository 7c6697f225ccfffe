"""Which dotted paths under the allowed libraries name a *module* (``np.lib``, ``talib.abstract``).

A module object is the way out of the allowlist: whoever holds ``numpy.lib`` in a plain
variable can walk ``.format.open_memmap`` without the validator seeing a module chain.
So the checker lets a module appear only as the left side of ``mod.attr``; everywhere
else (a list, an argument, ``or``, ``:=``, a default, a return value ...) it is refused.

The answer comes from the libraries' files, read statically (importing backtesting costs
seconds; executing nothing also means a file's names cannot trigger anything): a name is
a module when it is a submodule on disk or bound by an ``import`` in the module's source.
A name bound by ``def``/``class``/``=`` is an object; a name the source does not show
(C extensions, ``__getattr__``) is an object unless a submodule file of that name exists.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import lru_cache
from pathlib import Path

from executor.validator import policy as P

MODULE, CLASS, OBJECT = "module", "class", "object"
Kind = tuple[str, str]  # (MODULE, dotted name) | (CLASS, "") | (OBJECT, "")


@lru_cache(maxsize=512)
def _location(dotted: str) -> tuple[Path | None, Path | None, bool]:
    """(source file or None, package dir or None, exists) of an installed module, from disk
    (reading files executes nothing, so any installed package may be looked at)."""
    parts = dotted.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level lookup executes nothing
    except (ImportError, ValueError):
        return None, None, False
    if spec is None:
        return None, None, False
    locs = list(spec.submodule_search_locations or [])
    origin = Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else None
    pkg = Path(locs[0]) if locs else None
    for part in parts[1:]:
        if pkg is None:
            return None, None, False
        here: Path = pkg
        if (here / part / "__init__.py").is_file():
            pkg, origin = here / part, here / part / "__init__.py"
        elif (here / f"{part}.py").is_file():
            pkg, origin = None, here / f"{part}.py"
        elif any(here.glob(f"{part}.*.so")) or any(here.glob(f"{part}.*.pyd")):
            pkg, origin = None, None
        else:
            return None, None, False
    return origin, pkg, True


@lru_cache(maxsize=512)
def _namespace(dotted: str) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """Top-level bindings of a module's source and its star-imported modules."""
    origin, _pkg, _ = _location(dotted)
    names: dict[str, tuple[str, ...]] = {}
    stars: list[str] = []
    if origin is None:
        return names, ()
    try:
        tree = ast.parse(origin.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return names, ()
    is_pkg = origin.name == "__init__.py"
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    names[a.asname] = (MODULE, a.name)
                else:
                    top = a.name.split(".")[0]
                    names[top] = (MODULE, top)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(dotted, node.module, node.level, is_pkg)
            for a in node.names:
                if a.name == "*":
                    stars.append(base)
                else:
                    names[a.asname or a.name] = ("from", base, a.name)
        elif isinstance(node, ast.ClassDef):
            names[node.name] = (CLASS, "")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = (OBJECT, "")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names[n.id] = (OBJECT, "")
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody"):
                stack.extend(getattr(node, field, []))
            for h in getattr(node, "handlers", []):
                stack.extend(h.body)
    return names, tuple(stars)


def _absolute(current: str, module: str | None, level: int, is_pkg: bool) -> str:
    if not level:
        return module or ""
    parts = current.split(".")
    keep = len(parts) - level + (1 if is_pkg else 0)
    base = ".".join(parts[:max(keep, 0)])
    return f"{base}.{module}" if module else base


@lru_cache(maxsize=4096)
def _step(dotted: str, name: str, depth: int = 0) -> Kind | None:
    """What ``name`` is on module ``dotted``; None when the files do not say."""
    if depth > 12:
        return None
    names, stars = _namespace(dotted)
    bound = names.get(name)
    if bound is not None:
        if bound[0] == "from":
            sub = f"{bound[1]}.{bound[2]}"
            if _location(sub)[2]:
                return MODULE, sub
            return _step(bound[1], bound[2], depth + 1) or (OBJECT, "")
        return bound[0], bound[1]
    if _location(f"{dotted}.{name}")[2]:
        return MODULE, f"{dotted}.{name}"
    for star in stars:
        found = _step(star, name, depth + 1)
        if found is not None:
            return found
    return None


def member_kind(module: str, name: str) -> Kind | None:
    """What ``from module import *`` binds to ``name`` (None: not provided, or unknown)."""
    return _step(module, name)


@lru_cache(maxsize=4096)
def _walk(path: str) -> Kind | None:
    """The kind of ``path`` (a module path rooted at a trusted library), or None."""
    parts = path.split(".")
    if not _location(parts[0])[2]:
        return None
    kind: Kind = (MODULE, parts[0])
    for part in parts[1:]:
        if kind[0] != MODULE:
            return OBJECT, ""  # an attribute of a class or object
        kind = _step(kind[1], part) or (OBJECT, "")
    return kind


def is_module_path(path: str) -> bool:
    """True when ``path`` (``numpy.lib``, ``backtesting.test.GOOG``) may be a module."""
    if path in P.ALLOWED_SUBMODULES or path in P.DEFAULT_ALLOWED_IMPORTS:
        return True
    kind = _walk(path)
    if kind is None:  # not installed here: only the imported name itself is surely one
        return "." not in path
    return kind[0] == MODULE


def is_class_path(path: str) -> bool:
    kind = _walk(path)
    return kind is not None and kind[0] == CLASS or path in ("numpy.ndarray", "numpy.generic")


def canonical_path(path: str) -> str:
    """``backtesting.lib.np.lib.format`` -> ``numpy.lib.format``: the longest prefix that
    is a module is replaced by that module's real name, so re-exported modules cannot
    dodge the forbidden-path list."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        kind = _walk(".".join(parts[:i]))
        if kind is not None and kind[0] == MODULE:
            return ".".join([kind[1], *parts[i:]])
    return path


def ufunc_inputs(path: str) -> int | None:
    """``nin`` of a numpy ufunc (``np.add`` -> 2): later positional arguments are outputs.
    Only numpy itself is imported for this (cheap, and already loaded by the executor)."""
    if not path.startswith("numpy."):
        return None
    import numpy

    obj: object = numpy
    for part in path.split(".")[1:]:
        obj = numpy.__dict__.get(part) if obj is numpy else getattr(obj, part, None)
        if obj is None:
            return None
    return obj.nin if isinstance(obj, numpy.ufunc) else None

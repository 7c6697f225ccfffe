"""Which dotted paths under the allowed libraries name a *module* (``np.lib``, ``talib.abstract``).

A module object is the way out of the allowlist: whoever holds ``numpy.lib`` in a plain
variable can walk ``.format.open_memmap`` without the validator seeing a module chain.
So the checker lets a module appear only as the left side of ``mod.attr``; everywhere
else (a list, an argument, ``or``, ``:=``, a default, a return value ...) it is refused.
This module answers "is that path a module?" by resolving it in the trusted process
(the libraries are the executor's own dependencies); a path that cannot be resolved
counts as a module, so the answer errs on the side of refusing.
"""

from __future__ import annotations

import importlib
import inspect
import types
from functools import lru_cache

from executor.validator import policy as P

_MISSING = object()
TRUSTED_TOPS = frozenset(m for m in P.DEFAULT_ALLOWED_IMPORTS if "." not in m)


@lru_cache(maxsize=4096)
def _walk(path: str) -> tuple[object, ...] | None:
    """The objects along ``path`` under a trusted library (shorter than the path when a
    step is unknown), or None when the top is not one of our libraries."""
    parts = path.split(".")
    if parts[0] not in TRUSTED_TOPS:  # never import what a file names, only our libraries
        return None
    try:
        objs: list[object] = [importlib.import_module(parts[0])]
    except Exception:  # noqa: BLE001 - a library absent on the trusted side
        return None
    for i, part in enumerate(parts[1:], start=2):
        obj = objs[-1]
        value = inspect.getattr_static(obj, part, _MISSING)
        if value is _MISSING and isinstance(obj, types.ModuleType):
            try:  # a submodule not imported yet
                value = importlib.import_module(".".join(parts[:i]))
            except Exception:  # noqa: BLE001 - not a submodule
                value = _MISSING
        if value is _MISSING:
            try:  # lazy module attributes (numpy's __getattr__)
                value = getattr(obj, part)
            except Exception:  # noqa: BLE001 - unknown
                break
        objs.append(value)
    return tuple(objs)


def is_module_path(path: str) -> bool:
    """True when ``path`` (``numpy.lib``, ``backtesting.test.GOOG``) may be a module."""
    if path in P.ALLOWED_SUBMODULES or path in P.DEFAULT_ALLOWED_IMPORTS:
        return True
    objs = _walk(path)
    if objs is None:  # judge by name
        return "." not in path or path.rsplit(".", 1)[-1].islower()
    if len(objs) < path.count(".") + 1:  # unknown: refuse
        return True
    return isinstance(objs[-1], types.ModuleType)


def canonical_path(path: str) -> str:
    """``backtesting.lib.np.lib.format`` -> ``numpy.lib.format``: the longest prefix that
    resolves to a module is replaced by that module's real name, so re-exported modules
    cannot dodge the forbidden-path list."""
    parts = path.split(".")
    for i, obj in reversed(list(enumerate(_walk(path) or ()))):
        if isinstance(obj, types.ModuleType):
            return ".".join([obj.__name__, *parts[i + 1:]])
    return path


def resolve(path: str) -> object | None:
    """The object a dotted path under a trusted library names, or None when unknown."""
    objs = _walk(path)
    return objs[-1] if objs and len(objs) == path.count(".") + 1 else None

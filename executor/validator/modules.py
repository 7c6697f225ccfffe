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
def is_module_path(path: str) -> bool:
    """True when ``path`` (``numpy.lib``, ``backtesting.test.GOOG``) may be a module."""
    parts = path.split(".")
    if path in P.ALLOWED_SUBMODULES or path in P.DEFAULT_ALLOWED_IMPORTS:
        return True
    if parts[0] not in TRUSTED_TOPS:  # never import what a file names, only our libraries
        return len(parts) == 1 or parts[-1].islower()
    try:
        obj: object = importlib.import_module(parts[0])
    except Exception:  # noqa: BLE001 - a library absent on the trusted side: judge by name
        return len(parts) == 1 or parts[-1].islower()
    for i, part in enumerate(parts[1:], start=2):
        value = inspect.getattr_static(obj, part, _MISSING)
        if value is _MISSING and isinstance(obj, types.ModuleType):
            try:  # a submodule not imported yet
                value = importlib.import_module(".".join(parts[:i]))
            except Exception:  # noqa: BLE001 - not a submodule
                value = _MISSING
        if value is _MISSING:
            try:
                value = getattr(obj, part)
            except Exception:  # noqa: BLE001 - unknown: refuse
                return True
        obj = value
    return isinstance(obj, types.ModuleType)



@lru_cache(maxsize=4096)
def canonical_path(path: str) -> str:
    """``backtesting.lib.np.lib.format`` -> ``numpy.lib.format``: the longest prefix that
    resolves to a module is replaced by that module's real name, so re-exported modules
    cannot dodge the forbidden-path list."""
    parts = path.split(".")
    if parts[0] not in TRUSTED_TOPS:
        return path
    try:
        obj: object = importlib.import_module(parts[0])
    except Exception:  # noqa: BLE001 - library absent on the trusted side
        return path
    best = (1, parts[0])
    for i, part in enumerate(parts[1:], start=2):
        value = inspect.getattr_static(obj, part, _MISSING)
        if value is _MISSING:
            break
        obj = value
        if isinstance(obj, types.ModuleType):
            best = (i, obj.__name__)
    return ".".join([best[1], *parts[best[0]:]])


@lru_cache(maxsize=4096)
def resolve(path: str) -> object | None:
    """The object a dotted path under a trusted library names, or None when unknown."""
    parts = path.split(".")
    if parts[0] not in TRUSTED_TOPS:
        return None
    try:
        obj: object = importlib.import_module(parts[0])
    except Exception:  # noqa: BLE001 - library absent on the trusted side
        return None
    for part in parts[1:]:
        obj = inspect.getattr_static(obj, part, _MISSING)
        if obj is _MISSING:
            return None
    return obj

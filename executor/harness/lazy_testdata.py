"""Defer ``backtesting.test``'s CSV reads until a strategy uses its data.

``import backtesting.test`` parses three CSVs (BTCUSD, GOOG, EURUSD: ~20 ms of a cold
run), although most strategies import only ``SMA`` from it. A one-shot container
registers this stand-in before any strategy code exists: ``SMA`` is defined here (the
same rolling mean), and the first access to any other name (``GOOG``, ``EURUSD``, a
star import, ...) imports the real module and delegates to it.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pandas as pd

from executor.harness.lazy_plotting import real_module

NAME = "backtesting.test"


def SMA(arr: Any, n: int) -> pd.Series:  # noqa: N802 - the name strategies import
    """Returns `n`-period simple moving average of array `arr` (``backtesting.test.SMA``)."""
    return pd.Series(arr).rolling(n).mean()


def _real() -> types.ModuleType:
    return real_module(NAME)


def _attr(name: str) -> Any:
    if name == "__all__":  # a star import: every public name of the real module
        return [n for n in vars(_real()) if not n.startswith("_")]
    if name.startswith("__"):
        raise AttributeError(f"module {NAME!r} has no attribute {name!r}")
    return getattr(_real(), name)


def install() -> None:
    """Register the stand-in, unless the real module is already loaded."""
    if NAME in sys.modules:
        return
    stand_in = types.ModuleType(NAME, __doc__)
    stand_in._rbi_stand_in = True  # type: ignore[attr-defined]
    stand_in.SMA = SMA  # type: ignore[attr-defined]
    stand_in.__getattr__ = _attr  # type: ignore[method-assign]
    sys.modules[NAME] = stand_in
    package = sys.modules.get("backtesting")
    if package is not None:
        package.test = stand_in  # type: ignore[attr-defined]  # `import backtesting.test` binds it

"""Defer backtesting.py's plotting module (and bokeh) until something plots.

``import backtesting`` imports ``backtesting._plotting``, which imports bokeh: about two
thirds of the engine's import time, spent on every sandboxed run although only chart
exports plot. Before the engine is imported, the harness registers a stand-in module
whose three public functions import the real module on first call and delegate to it.
Results are unaffected (plotting does not take part in a backtest); the first plot pays
the import.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

NAME = "backtesting._plotting"
EXPORTS = ("plot", "plot_heatmaps", "set_bokeh_output")


def real_module(name: str = NAME) -> types.ModuleType:
    """Module ``name`` itself, imported now if a stand-in holds its place."""
    mod = sys.modules.get(name)
    if mod is None or getattr(mod, "_rbi_stand_in", False):
        sys.modules.pop(name, None)
        mod = importlib.import_module(name)
    return mod


def _delegate(name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(real_module(), name)(*args, **kwargs)

    call.__name__ = name
    return call


def install() -> None:
    """Register the stand-in, unless the engine (or the real module) is already loaded."""
    if NAME in sys.modules or "backtesting" in sys.modules:
        return
    stand_in = types.ModuleType(NAME)
    stand_in._rbi_stand_in = True  # type: ignore[attr-defined]
    for name in EXPORTS:
        setattr(stand_in, name, _delegate(name))
    sys.modules[NAME] = stand_in

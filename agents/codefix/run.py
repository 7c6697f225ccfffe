"""Run strategy code in-process with backtesting.py and describe a failure as an error dict.

For tests and for the sandbox side only: this executes the code it is given.
"""

from __future__ import annotations

import ast
import contextlib
import io
import traceback
import warnings
from typing import Any

import pandas as pd

from agents.codefix.source import strategy_class_names

FILENAME = "<strategy>"


class Sink(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


def load_strategy(code: str, namespace: dict[str, Any] | None = None,
                  tree: ast.Module | None = None) -> type:
    """Execute the module code and return its (last) Strategy subclass."""
    tree = tree or ast.parse(code)
    names = strategy_class_names(tree)
    if not names:
        raise LookupError("no Strategy subclass in the code")
    ns = namespace if namespace is not None else {}
    ns.setdefault("__name__", "rbi_strategy")
    exec(compile(tree, FILENAME, "exec"), ns)  # noqa: S102 - trusted side / sandbox only
    return ns[names[-1]]


def error_dict(exc: BaseException) -> dict[str, Any]:
    """``{"type", "message", "traceback", "line"}`` with the chained cause included."""
    tb = "".join(traceback.format_exception(exc))
    line = 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == FILENAME:
            line = frame.lineno or 0
    cause = exc.__cause__ or exc.__context__
    if cause is not None and not line:
        for frame in traceback.extract_tb(cause.__traceback__):
            if frame.filename == FILENAME:
                line = frame.lineno or 0
    if isinstance(exc, SyntaxError):
        line = exc.lineno or 0
    message = str(exc) if not isinstance(exc, KeyError) else (str(exc.args[0]) if exc.args else "")
    return {"type": type(exc).__name__, "message": message, "traceback": tb, "line": line}


def run_strategy(code: str, data: pd.DataFrame, **backtest_kwargs: Any
                 ) -> tuple[pd.Series | None, dict[str, Any] | None]:
    """(stats, None) on success, (None, error dict) on failure; stdout is discarded."""
    from backtesting import Backtest

    kwargs = {"cash": 1_000_000, "commission": 0.002} | backtest_kwargs
    with warnings.catch_warnings(), contextlib.redirect_stdout(Sink()):
        warnings.simplefilter("ignore")
        try:
            cls = load_strategy(code)
            return Backtest(data, cls, **kwargs).run(), None
        except Exception as exc:  # noqa: BLE001 - the failure is the result
            return None, error_dict(exc)

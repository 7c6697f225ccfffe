"""Functions of the allowed libraries whose names are also module names (``np.copy``,
``np.select``, ``np.random.random``) are functions, not a way out: the validator accepts
them, and still refuses the real modules those names stand for elsewhere."""

from __future__ import annotations

import importlib
import inspect
import warnings

import pytest

from executor.validator import policy as P
from executor.validator import validate


def _functions_named_like_modules() -> set[str]:
    """Every allowed module's non-module attribute named in MODULE_CHAIN_ONLY, read from
    the installed libraries (the validator itself never imports them)."""
    found = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in sorted(P.DEFAULT_ALLOWED_IMPORTS | P.ALLOWED_SUBMODULES):
            try:
                mod = importlib.import_module(path)
            except ImportError:
                continue  # a function path (sliding_window_view) or an absent extra
            for name in P.MODULE_CHAIN_ONLY | P.DANGEROUS_MODULES:
                value = getattr(mod, name, None)
                if value is not None and not inspect.ismodule(value):
                    found.add(f"{path}.{name}")
    return found


def test_the_exempt_set_is_what_the_installed_libraries_hold() -> None:
    found = _functions_named_like_modules()
    assert found <= P.LIBRARY_FUNCTIONS_NAMED_LIKE_MODULES  # none refused by mistake
    for full in P.LIBRARY_FUNCTIONS_NAMED_LIKE_MODULES - found:  # absent in this Python
        module, _, name = full.rpartition(".")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert not hasattr(importlib.import_module(module), name), full  # a module: never exempt


def test_no_exempt_name_is_a_dangerous_module() -> None:
    assert not {f.rsplit(".", 1)[1] for f in P.LIBRARY_FUNCTIONS_NAMED_LIKE_MODULES} & P.DANGEROUS_MODULES


STRATEGY = """import numpy as np
{imports}
from backtesting import Strategy
class S(Strategy):
    def init(self):
        {body}
    def next(self):
        pass
"""


@pytest.mark.parametrize("imports,body", [
    ("", "a = np.copy(self.data.Close)"),
    ("", "a = np.select([self.data.Close > 1], [self.data.Close], 0)"),
    ("", "np.random.seed(1); r = np.random.random()"),
    ("from numpy import copy, select", "a = select([copy(self.data.Close) > 1], [1], 0)"),
    ("import numpy", "a = numpy.copy(self.data.Close)"),
])
def test_library_functions_named_like_modules_are_accepted(imports: str, body: str) -> None:
    assert validate(STRATEGY.format(imports=imports, body=body)) == []


@pytest.mark.parametrize("imports,body", [
    ("import statistics", "r = statistics.random.random()"),
    ("import pandas as pd", "x = pd.io.common"),
    ("", "x = np.core.multiarray"),
    ("", "x = np.testing.assert_equal"),
    ("import functools", "x = functools.copy"),
    ("", "x = np.copy.__globals__"),
])
def test_the_modules_behind_those_names_are_still_refused(imports: str, body: str) -> None:
    assert validate(STRATEGY.format(imports=imports, body=body)) != []

"""The guards' fast paths (names and value types already cleared) refuse exactly what the
full check refuses: a forbidden builtin or a module arriving under a name, or of a type,
seen safe before; data columns reached by name are still protected against writes."""

from __future__ import annotations

import os
import types

import numpy as np
import pytest

from executor.validator.guards import Guards


class Box:
    pass


@pytest.fixture()
def guards() -> Guards:
    return Guards("strategy", frozenset({"numpy", "math"}))


def test_a_cleared_name_still_refuses_a_forbidden_value(guards: Guards) -> None:
    get = guards.fast_getattr()
    box = Box()
    box.f = len  # a builtin function: its type is never cleared
    assert get(box, "f") is len and get(box, "f") is len
    box.f = eval
    with pytest.raises(AttributeError, match="restricted"):
        get(box, "f")
    box.f = 1.5  # the float type is cleared from here on
    assert get(box, "f") == 1.5 and get(box, "f") == 1.5
    box.f = os
    with pytest.raises(AttributeError, match="restricted: module 'os'"):
        get(box, "f")
    box.f = types.ModuleType("math")  # an allowed module passes, uncached
    assert get(box, "f").__name__ == "math"


def test_a_frame_is_refused_after_its_name_was_cleared(guards: Guards) -> None:
    import sys

    get = guards.fast_getattr()
    box = Box()
    box.g = 3
    get(box, "g")
    box.g = sys._getframe()
    with pytest.raises(AttributeError, match="restricted"):
        get(box, "g")


def test_scalar_items_pass_and_module_items_are_refused(guards: Guards) -> None:
    assert guards.getitem([1.5, 2], 0) == 1.5
    assert guards.getitem({"a": np.float64(2.0)}, "a") == 2.0
    with pytest.raises(KeyError, match="restricted"):
        guards.getitem([os], 0)


def test_data_columns_reached_by_name_stay_protected(guards: Guards) -> None:
    from backtesting._util import _Data
    from backtesting.test import GOOG

    get = guards.fast_getattr()
    data = _Data(GOOG.iloc[:50].copy())
    for _ in range(3):  # the first access and the cleared ones alike
        close = get(data, "Close")
        frame = get(data, "df")  # a DataFrame: protected only because data gave it
        for value in (close, frame):
            with pytest.raises(TypeError, match="must not modify the data"):
                guards.write(value)
    assert guards.write(frame.copy()) is not None  # a copy is the strategy's own
    window = guards.getitem(close, slice(-5, None))  # a slice of a protected column
    with pytest.raises(TypeError, match="must not modify the data"):
        guards.inplacevar("+=", window, 1)


def test_the_libraries_test_runners_stay_refused_after_backtesting_test_was_read() -> None:
    """``backtesting.test`` (SMA, GOOG) is read by name first; ``pd.test``/``np.test``
    (pytest with any arguments) must still be refused: the name is never cleared."""
    import backtesting
    import backtesting.test  # noqa: F401
    import pandas as pd

    get = Guards("strategy", frozenset({"numpy", "pandas", "backtesting"})).fast_getattr()
    for _ in range(3):
        assert get(backtesting, "test").__name__ == "backtesting.test"
        for lib in (pd, np):
            with pytest.raises(AttributeError, match="test runner"):
                get(lib, "test")
    box = Box()
    box.test = 1.0  # any other object's .test is an ordinary attribute
    assert get(box, "test") == 1.0

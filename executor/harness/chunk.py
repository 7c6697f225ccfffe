"""Known bars, one ``init()`` per chunk: how a replay keeps up without seeing the future.

A paper session's exact mode re-runs the strategy's ``init()`` on the bars so far at
every bar, so no indicator can use a bar after the one being decided. For bars that are
already known (a replay, the warm-up, a resume) that re-run is 80-90 % of a bar's cost.
A **chunk** of K bars is stepped instead the way ``Backtest.run`` steps a whole period:

1. ``init()`` runs once on the bars up to the chunk's last one, on a copy of the bars
   the strategy never gets as ``self.data``;
2. **spot checks** — bars ``s`` inside the chunk, drawn at random by the trusted side
   and sent with it — re-run ``init()`` on the bars up to ``s`` only and compare every
   indicator (each ``self.I`` result and each public array, Series or DataFrame
   attribute) on bars ``0..s`` with the chunk's values. A strategy whose indicators only
   look backwards gives the same numbers both ways; one that reads later bars
   (``shift(-1)``, ``np.roll(close, -1)``, a centred window, a whole-series statistic)
   does not, and :class:`LookAhead` ends the session before any of the chunk's
   decisions is made;
   The chunk's own ``init()`` is also checked against the previous chunk's, which saw
   the bars up to that chunk's end only: a check at every chunk boundary that costs no
   ``init()`` (it catches look-ahead one chunk late, after that chunk's decisions);
3. ``next()`` then runs bar after bar: ``self.data`` holds exactly the bars so far (its
   own buffer: the chunk's later bars are not in it) and each indicator is the chunk's,
   sliced to the bars so far — what ``Backtest.run`` hands ``next()``.

For a strategy that passes the checks this decides exactly as the exact mode does (the
checks compare the very arrays ``next()`` is given). What it costs: look-ahead is found
with a probability per chunk, not with certainty at every bar — see docs/EXECUTION.md.
If ``init()`` fails on the chunk, the chunk is stepped in exact mode, so the error comes
from the bar that caused it and the bars before it are decided.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["LookAhead", "arrays_of", "compare", "sliced"]


class LookAhead(RuntimeError):
    """The strategy's indicators change when later bars are in view."""


def arrays_of(inst: Any) -> dict[str, Any]:
    """What ``next()`` is given from an ``init()``: every ``self.I`` result (by position,
    wherever it is kept) and every public array, Series or DataFrame attribute."""
    import numpy as np
    import pandas as pd

    out: dict[str, Any] = {f"self.I #{k + 1}": ind for k, ind in enumerate(inst._indicators)}
    for attr, value in vars(inst).items():
        if not attr.startswith("_") and isinstance(value, np.ndarray | pd.Series | pd.DataFrame):
            out[attr] = value
    return out


def sliced(value: Any, n: int, full: int) -> Any:
    """``value`` as the bars so far (``n`` of them) see it, when it is one value per bar of
    the ``full`` bars ``init()`` saw; anything else as it is."""
    if hasattr(value, "iloc"):
        return value.iloc[:n] if len(value) == full else value
    return value[..., :n] if value.ndim and value.shape[-1] == full else value


def _floats(value: Any) -> Any:
    import numpy as np

    arr = value.to_numpy() if hasattr(value, "to_numpy") else value
    if hasattr(value, "iloc") and arr.ndim == 2:
        arr = arr.T  # a DataFrame: one row per column, bars on the last axis like self.I
    try:
        return np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        return None


def compare(chunk: dict[str, Any], prefix: dict[str, Any], s: int, full: int) -> str | None:
    """Why ``chunk`` (``init()`` on ``full`` bars) and ``prefix`` (on the bars ``0..s``)
    disagree on bars ``0..s``, or None. Values match to 1e-9 of the indicator's scale
    (float noise is not look-ahead); NaN matches NaN."""
    import numpy as np

    for name, want in prefix.items():
        got = chunk.get(name)
        if got is None:
            return f"{name} exists on the bars up to {s} but not with {full} bars in view"
        a, b = _floats(want), _floats(sliced(got, s + 1, full))
        if a is None or b is None:
            continue  # not numbers: nothing to compare
        if a.shape != b.shape:
            return (f"{name} has shape {a.shape} on the bars up to {s} but {b.shape} with "
                    f"{full} bars in view")
        if a.size == 0:
            continue
        finite = np.abs(b[np.isfinite(b)])
        scale = float(finite.max()) if finite.size else 0.0
        with np.errstate(invalid="ignore"):
            close = np.isclose(a, b, rtol=1e-9, atol=1e-9 * scale, equal_nan=True)
        if close.all():
            continue
        if a.ndim:
            where = tuple(np.argwhere(~close)[0])
            bar, va, vb = int(where[-1]), float(a[where]), float(b[where])
        else:
            bar, va, vb = s, float(a), float(b)
        return (f"{name} at bar {bar} is {_num(va)} computed on the bars up to {s} but "
                f"{_num(vb)} with the bars up to {full - 1} in view")
    return None


def _num(v: float) -> str:
    return "NaN" if math.isnan(v) else f"{v:.6g}"


def warmup(arrays: dict[str, Any], n: int, full: int) -> int | None:
    """backtesting's warm-up (``_indicator_warmup_nbars``) of the ``self.I`` indicators
    kept as attributes, as the first ``n`` bars see them; None while one is all-NaN."""
    import numpy as np
    from backtesting._util import _Indicator

    nbars = 0
    for name, ind in arrays.items():
        if name.startswith("self.I #") or not isinstance(ind, _Indicator):
            continue
        arr = np.asarray(sliced(ind, n, full), dtype=float)
        if not arr.size:
            continue
        nan = np.isnan(arr)
        if nan.all(axis=-1).any():
            return None
        if not ind._opts["scatter"]:
            nbars = max(nbars, int(nan.argmin(axis=-1).max()))
    return nbars


def step_chunk(stepper: Any, bars: list[list[Any]], checks: list[int],
               done: list[dict[str, Any]]) -> None:
    """Step ``bars`` (known in advance) as one chunk, appending each bar's decision to
    ``done``; spot-check the bars ``checks`` first (see the module docstring)."""
    first = stepper.bars.n
    for bar in bars:
        stepper.ahead.append(bar)
    full = stepper.ahead.n
    picked = sorted({int(s) for s in checks})
    if any(not first <= s < full - 1 for s in picked):
        raise ValueError(f"spot checks name bars {first} to {full - 2} of this chunk")
    data = stepper.ahead.data()
    seen = stepper.chunk_seen  # the previous chunk's indicators: a free check at its end
    try:
        arrays = arrays_of(stepper.init_on(data))
        why = compare(arrays, seen[0], seen[1] - 1, full) if seen else None
        for s in picked:
            data._set_length(s + 1)
            try:
                prefix = arrays_of(stepper.init_on(data))
            finally:
                data._set_length(full)
            why = why or compare(arrays, prefix, s, full)
    except Exception:  # noqa: BLE001 - replayed bar by bar, the error names its own bar
        for bar in bars:
            done.append(stepper.step(bar))
        return
    if why:
        raise LookAhead(
            f"look-ahead: {why} — init() uses bars after the one being decided (shift(-1), "
            "np.roll(x, -1), a centred window, a statistic of the whole series). Compute "
            "every indicator from the current and earlier bars only.")
    stepper.chunk_seen = None
    for bar in bars:
        done.append(stepper.step(bar, arrays, full))
    stepper.chunk_seen = (_frozen(arrays), full)


def _frozen(arrays: dict[str, Any]) -> dict[str, Any]:
    """Numeric copies (``next()`` may write into the arrays it was handed)."""
    import numpy as np

    out = {}
    for name, value in arrays.items():
        floats = _floats(value)
        if floats is not None:
            out[name] = np.array(floats, copy=True)
    return out

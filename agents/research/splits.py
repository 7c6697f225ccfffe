"""In-sample / validation / sealed holdout splits and the append-only holdout ledger.

:func:`split_frame` cuts a frame by date, one of three ways (first match wins):

* explicit dates: ``validation_start`` and ``holdout_start`` (ISO dates);
* ``holdout_last_n_days`` (+ optional ``validation_last_n_days``) counted back from the
  last bar;
* fractions ``(in_sample, validation, holdout)`` of the bars, default 0.6/0.2/0.2.

Optimisation and selection may only see ``in_sample`` and ``validation``; the holdout
is read through :class:`agents.store.holdout.HoldoutLedger`, once per promotion
decision, every read logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Split", "split_frame"]


@dataclass(frozen=True)
class Split:
    in_sample: pd.DataFrame
    validation: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def research(self) -> pd.DataFrame:
        """In-sample + validation: everything selection may look at."""
        return pd.concat([self.in_sample, self.validation])

    def bounds(self) -> dict[str, list[str | None]]:
        def b(df: pd.DataFrame) -> list[str | None]:
            return [df.index[0].isoformat(), df.index[-1].isoformat()] if len(df) else [None, None]

        return {"in_sample": b(self.in_sample), "validation": b(self.validation),
                "holdout": b(self.holdout)}


def _ts(value: Any, key: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{key}: {value!r} is not a date (write e.g. 2012-01-31)") from exc


def split_frame(df: pd.DataFrame, *, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                validation_start: Any = None, holdout_start: Any = None,
                holdout_last_n_days: int | None = None,
                validation_last_n_days: int | None = None) -> Split:
    """Cut ``df`` (DatetimeIndex, sorted) into in-sample / validation / holdout."""
    idx = df.index
    if holdout_start is not None or validation_start is not None:
        if holdout_start is None or validation_start is None:
            raise ValueError("give both validation_start and holdout_start, or neither")
        v, h = _ts(validation_start, "validation_start"), _ts(holdout_start, "holdout_start")
        if not v < h:
            raise ValueError(f"validation_start {v.date()} must be before holdout_start {h.date()}")
        i_v, i_h = int(idx.searchsorted(v)), int(idx.searchsorted(h))
    elif holdout_last_n_days is not None:
        if holdout_last_n_days <= 0:
            raise ValueError(f"holdout_last_n_days must be > 0, got {holdout_last_n_days}")
        end = idx[-1]
        i_h = int(idx.searchsorted(end - pd.Timedelta(days=holdout_last_n_days), side="right"))
        vdays = validation_last_n_days or holdout_last_n_days
        i_v = int(idx.searchsorted(idx[min(i_h, len(idx) - 1)] - pd.Timedelta(days=vdays),
                                   side="left"))
    else:
        f_is, f_v, f_h = fractions
        if min(fractions) < 0 or abs(f_is + f_v + f_h - 1.0) > 1e-9 or f_is <= 0:
            raise ValueError(f"fractions {fractions} must be >= 0, in-sample > 0, sum to 1")
        i_v = int(round(len(idx) * f_is))
        i_h = int(round(len(idx) * (f_is + f_v)))
    if not 0 < i_v <= i_h <= len(idx):
        raise ValueError(f"split leaves no in-sample data (validation at bar {i_v}, holdout "
                         f"at bar {i_h} of {len(idx)})")
    return Split(df.iloc[:i_v], df.iloc[i_v:i_h], df.iloc[i_h:])

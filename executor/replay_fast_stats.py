"""backtesting's ``compute_stats`` for the replay, in numpy: the same numbers, a tenth of the time.

``compute_stats`` spends most of its time building pandas objects (a trades DataFrame
whose times are boxed one Timestamp at a time, an equity DataFrame, a resample, a
``pct_change``, ``clip``, a per-trade ``itertuples`` loop) and on facts of the dataset
that never change between replays (its period, weekends, the resample's bins, the
market's log returns). :class:`DatasetFacts` computes those once per dataset with
backtesting's and pandas' own calls; :func:`fast_stats` then computes every statistic
with the very reductions pandas would call for the same Series (``pandas.core.nanops``
on the same float64 arrays, in the same order, so the floating-point results are the
same bits), numpy for the per-bar arrays, and pandas Series only for the two timedelta
reductions. The trades and equity DataFrames are built only when asked (``frames``: a
stats-only batch never needs them).

Where a case is not covered by the equivalence tests (no DatetimeIndex in ns, an index
not unique and increasing, NaN in the equity curve, a run with no closed trade),
:func:`fast_stats` returns None and the caller uses backtesting's own function
(:data:`executor.replay_stats.compute_stats`). tests/executor/test_replay_fast_stats.py
and tests/executor/test_replay_lean.py compare both on random order logs, options and
datasets (daily, intraday, weekly, tz-aware).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.core import nanops

from executor.harness import lazy_plotting

lazy_plotting.install()  # backtesting without bokeh (~0.7 s of CPU) until something plots
from backtesting._stats import _Stats  # noqa: E402
from backtesting._util import _data_period, _indicator_warmup_nbars  # noqa: E402


class DatasetFacts:
    """What ``compute_stats`` derives from the OHLC data alone, computed once."""

    def __init__(self, data: pd.DataFrame) -> None:
        index = data.index
        self.index = index
        self._iso: list[Any] | None = None
        self.n = len(index)
        self.ok = (isinstance(index, pd.DatetimeIndex) and self.n >= 2
                   and np.dtype(getattr(index.dtype, "base", index.dtype)) == np.dtype("M8[ns]")
                   and index.is_unique and index.is_monotonic_increasing)
        if self.ok:
            try:
                self._derive(data)
            except Exception:  # noqa: BLE001 - an odd index: backtesting's own compute_stats then
                self.ok = False

    def _derive(self, data: pd.DataFrame) -> None:
        index = self.index
        self.ns = index.asi8
        self.close = data.Close.to_numpy()
        self.period = _data_period(index)
        self.resolution = getattr(self.period, "resolution_string", None) or self.period.resolution
        freq_days = cast(pd.Timedelta, self.period).days
        have_weekends = index.dayofweek.to_series().between(5, 6).mean() > 2 / 7 * .6
        self.annual_trading_days = (
            52 if freq_days == 7 else
            12 if freq_days == 31 else
            1 if freq_days == 365 else
            (365 if have_weekends else 252))
        freq = {7: "W", 31: "ME", 365: "YE"}.get(freq_days, "D")
        # the last bar of each non-empty resample bin: Equity.resample(freq).last().dropna()
        # is the equity at these bars whenever the equity has no NaN
        pos = pd.Series(np.arange(self.n, dtype=float), index=index).resample(freq).last().dropna()
        self.day_pos = pos.to_numpy().astype(np.int64)
        self.start, self.end = index[0], index[-1]
        self.duration = self.end - self.start
        self.years = (self.duration.days + self.duration.seconds / 86400) / 365.25
        c = self.close
        self.market_log_returns = np.log(c[1:] / c[:-1])


    def iso_times(self) -> list[Any]:
        """Every bar's time as the result's JSON writes it (computed once, on first use)."""
        if self._iso is None:
            from executor.replay_json import iso_times

            self._iso = iso_times(self.index)
        return self._iso


def _round_timedelta(value: Any, facts: DatasetFacts) -> Any:
    if not isinstance(value, pd.Timedelta):
        return value
    return value.ceil(facts.resolution)


def _geometric_mean(returns: np.ndarray) -> Any:
    """``_stats.geometric_mean`` on a float64 array (the Series' values)."""
    returns = np.where(np.isnan(returns), 0.0, returns) + 1
    if np.any(returns <= 0):
        return 0
    return np.exp(nanops.nansum(np.log(returns), skipna=True) / (len(returns) or np.nan)) - 1


def _drawdowns(dd: np.ndarray, facts: DatasetFacts) -> tuple[np.ndarray, np.ndarray]:
    """``compute_drawdown_duration_peaks`` as whole-length arrays (NaT/NaN off the ends)."""
    n = len(dd)
    iloc = np.unique(np.r_[(dd == 0).nonzero()[0], n - 1])
    prev, cur = iloc[:-1], iloc[1:]
    keep = cur > prev + 1
    if not keep.any():
        same = np.where(dd == 0, np.nan, dd)
        return same, same
    prev, cur = prev[keep], cur[keep]
    duration = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    duration[cur] = facts.ns[cur] - facts.ns[prev]
    values = np.r_[dd, np.nan]
    peaks = np.full(n, np.nan)
    peaks[cur] = np.fmax.reduceat(values, np.column_stack([prev, cur + 1]).ravel())[::2]
    return duration.view("m8[ns]"), peaks


def _trade_columns(trades: list[Any]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in (
        "Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice", "SL", "TP", "PnL",
        "Commission", "ReturnPct", "Tag")}
    for t in trades:
        cols["Size"].append(t.size)
        cols["EntryBar"].append(t.entry_bar)
        cols["ExitBar"].append(t.exit_bar)
        cols["EntryPrice"].append(t.entry_price)
        cols["ExitPrice"].append(t.exit_price)
        cols["SL"].append(t.sl)
        cols["TP"].append(t.tp)
        cols["PnL"].append(t.pl)
        cols["Commission"].append(t._commissions)
        cols["ReturnPct"].append(t.pl_pct)
        cols["Tag"].append(t.tag)
    return cols


def fast_stats(trades: list[Any], equity: np.ndarray, facts: DatasetFacts,
               strategy_instance: Any, *, frames: bool = True) -> pd.Series | None:
    """``compute_stats(trades, equity, data, strategy_instance, risk_free_rate=0)``, or
    None where the caller must use that function (see module doc). Without ``frames``
    the ``_equity_curve`` and ``_trades`` entries are None."""
    if (not facts.ok or not trades or len(equity) != facts.n or np.isnan(equity).any()
            or (strategy_instance is not None and strategy_instance._indicators)):
        return None
    index = facts.index
    dd = 1 - equity / np.maximum.accumulate(equity)
    dd_dur, dd_peaks = _drawdowns(dd, facts)
    cols = _trade_columns(trades)
    entry_bar = np.asarray(cols["EntryBar"], dtype=np.int64)
    exit_bar = np.asarray(cols["ExitBar"], dtype=np.int64)
    pl = np.asarray(cols["PnL"], dtype=float)
    returns = np.asarray(cols["ReturnPct"], dtype=float)
    durations = pd.Series((facts.ns[exit_bar] - facts.ns[entry_bar]).view("m8[ns]"))
    commissions = sum(cols["Commission"])

    s: dict[str, Any] = {}
    s["Start"], s["End"], s["Duration"] = facts.start, facts.end, facts.duration
    edges = np.zeros(facts.n + 1, dtype=np.int64)
    np.add.at(edges, entry_bar, 1)
    np.add.at(edges, exit_bar + 1, -1)
    have_position = (np.cumsum(edges[:-1]) > 0).astype(np.int64)
    s["Exposure Time [%]"] = have_position.mean() * 100
    s["Equity Final [$]"] = equity[-1]
    s["Equity Peak [$]"] = equity.max()
    if commissions:
        s["Commissions [$]"] = commissions
    s["Return [%]"] = (equity[-1] - equity[0]) / equity[0] * 100
    first_trading_bar = _indicator_warmup_nbars(strategy_instance)
    c = facts.close
    s["Buy & Hold Return [%]"] = (c[-1] - c[first_trading_bar]) / c[first_trading_bar] * 100

    day_equity = equity[facts.day_pos]
    with np.errstate(divide="ignore", invalid="ignore"):
        day_returns = day_equity[1:] / day_equity[:-1] - 1
    day_returns = day_returns[~np.isnan(day_returns)]
    gmean_day_return = _geometric_mean(day_returns)
    atd = facts.annual_trading_days
    annualized_return = (1 + gmean_day_return)**atd - 1
    s["Return (Ann.) [%]"] = annualized_return * 100
    day_var = nanops.nanvar(day_returns, skipna=True, ddof=1)
    s["Volatility (Ann.) [%]"] = np.sqrt((day_var + (1 + gmean_day_return)**2)**atd
                                         - (1 + gmean_day_return)**(2 * atd)) * 100
    years = facts.years
    s["CAGR [%]"] = ((s["Equity Final [$]"] / equity[0])**(1 / years) - 1) * 100 if years else np.nan
    s["Sharpe Ratio"] = (s["Return (Ann.) [%]"] - 0.0) / (s["Volatility (Ann.) [%]"] or np.nan)
    downside = np.where(day_returns > 0, 0.0, day_returns)
    with np.errstate(divide="ignore"):
        s["Sortino Ratio"] = (annualized_return - 0.0) / (
            np.sqrt(nanops.nanmean(downside**2, skipna=True)) * np.sqrt(atd))
    max_dd = -np.nan_to_num(dd.max())
    s["Calmar Ratio"] = annualized_return / (-max_dd or np.nan)
    with np.errstate(divide="ignore"):
        equity_log_returns = np.log(equity[1:] / equity[:-1])
    beta = np.nan
    if len(equity_log_returns) > 1 and len(facts.market_log_returns) > 1:
        cov_matrix = np.cov(equity_log_returns, facts.market_log_returns)
        beta = cov_matrix[0, 1] / cov_matrix[1, 1]
    s["Alpha [%]"] = s["Return [%]"] - 0.0 - beta * (s["Buy & Hold Return [%]"] - 0.0)
    s["Beta"] = beta
    s["Max. Drawdown [%]"] = max_dd * 100
    s["Avg. Drawdown [%]"] = -nanops.nanmean(dd_peaks, skipna=True) * 100
    dur_series = pd.Series(dd_dur)
    s["Max. Drawdown Duration"] = _round_timedelta(dur_series.max(), facts)
    s["Avg. Drawdown Duration"] = _round_timedelta(dur_series.mean(), facts)
    s["# Trades"] = n_trades = len(trades)
    win_rate = nanops.nanmean(pl > 0, skipna=True)
    s["Win Rate [%]"] = win_rate * 100
    s["Best Trade [%]"] = nanops.nanmax(returns, skipna=True) * 100
    s["Worst Trade [%]"] = nanops.nanmin(returns, skipna=True) * 100
    s["Avg. Trade [%]"] = _geometric_mean(returns) * 100
    s["Max. Trade Duration"] = _round_timedelta(durations.max(), facts)
    s["Avg. Trade Duration"] = _round_timedelta(durations.mean(), facts)
    s["Profit Factor"] = nanops.nansum(returns[returns > 0], skipna=True) / (
        abs(nanops.nansum(returns[returns < 0], skipna=True)) or np.nan)
    s["Expectancy [%]"] = nanops.nanmean(returns, skipna=True) * 100
    s["SQN"] = np.sqrt(n_trades) * nanops.nanmean(pl, skipna=True) / (
        nanops.nanstd(pl, skipna=True, ddof=1) or np.nan)
    s["Kelly Criterion"] = win_rate - (1 - win_rate) / (
        nanops.nanmean(pl[pl > 0], skipna=True) / -nanops.nanmean(pl[pl < 0], skipna=True))
    s["_strategy"] = strategy_instance
    s["_equity_curve"] = s["_trades"] = None
    if frames:
        s["_equity_curve"] = pd.DataFrame({"Equity": equity, "DrawdownPct": dd,
                                           "DrawdownDuration": dd_dur}, index=index)
        s["_trades"] = _trades_frame(dict(cols), index, entry_bar, exit_bar)
    stats = _Stats(s, dtype=object)
    if not frames:  # what executor.replay_json needs to write the frames' JSON without them
        stats.attrs[RAW_KEY] = {"trades": cols, "equity": equity, "drawdown": dd}
    return stats


RAW_KEY = "rbi_raw"  # stats.attrs key of a frameless result's columns


def _trades_frame(cols: dict[str, list[Any]], index: pd.DatetimeIndex, entry_bar: np.ndarray,
                  exit_bar: np.ndarray) -> pd.DataFrame:
    """The ``_trades`` DataFrame as ``compute_stats`` builds it (same columns and dtypes)."""
    tags = cols.pop("Tag")
    df = pd.DataFrame({**cols, "EntryTime": index[entry_bar], "ExitTime": index[exit_bar]})
    df["Duration"] = df["ExitTime"] - df["EntryTime"]
    df["Tag"] = tags
    return df

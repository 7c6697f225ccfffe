"""The trusted broker: rebuild a run from the strategy's decisions and pristine data.

A sandboxed run reports an *order log* (see :mod:`executor.harness.orderlog`): the public
backtesting.py calls its strategy made, bar by bar. This module, which runs on the host
after the sandbox returned and never in the strategy's process, issues the same calls
at the same bars through a fresh ``backtesting.Backtest`` on the pristine dataset with
the requested options, and takes trades, equity and every statistic from that run
(backtesting's own ``compute_stats``). Whatever the strategy process claims is ignored;
a fabricated log earns only what those orders would honestly earn.

Small API (paper trading reuses it)::

    rp = Replayer(data, options)           # once per dataset + options (a batch)
    out = rp.run(log, params, "SmaCross")  # Replayed(stats, backtest); ReplayError if
                                            # the log cannot be replayed
    rp.plot_html(out)                       # backtesting's HTML plot of the replay
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from executor.errors import RbiError
from executor.replay_lean import run_lean

KINDS = {"buy": 3, "sell": 3, "pclose": 3, "tclose": 4, "sl": 4, "tp": 4, "cancel": 3}
ORDER_KEYS = ("size", "limit", "stop", "sl", "tp", "tag")
NAME_RE = re.compile(r"[^A-Za-z0-9_]")


class ReplayError(RbiError, ValueError):
    """The log cannot be replayed (malformed, or an action names no open trade/order)."""


class ReplayDeadline(ReplayError):
    """The replay ran past its deadline (raised at bar ``bar``); the caller words it."""

    def __init__(self, bar: int) -> None:
        super().__init__(f"the replay ran out of time at bar {bar}")
        self.bar = bar


@dataclass
class Replayed:
    stats: Any  # the pd.Series Backtest.run() returns
    backtest: Any  # the Backtest that produced it (for plotting)


def strategy_name(raw: Any) -> str:
    """The class name the worker reported, reduced to an identifier of at most 100 chars."""
    name = NAME_RE.sub("", str(raw or ""))[:100]
    return name if name and not name[0].isdigit() else "Strategy"


def _finite(v: Any, what: str, *, positive: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or (positive and v <= 0):
        raise ReplayError(f"{what} must be a finite {'positive ' if positive else ''}number, got {v!r}")
    return float(v)


def _ref(v: Any, what: str) -> tuple[str, int]:
    if (not isinstance(v, list) or len(v) != 2 or v[0] not in ("t", "c")
            or not isinstance(v[1], int) or isinstance(v[1], bool) or v[1] < 0):
        raise ReplayError(f"{what}: a trade reference must be ['t'|'c', index], got {v!r}")
    return v[0], v[1]


def parse_log(log: Any, n_bars: int) -> tuple[int, dict[int, list[list[Any]]]]:
    """Check the log's shape; return (warm-up bars, actions grouped by bar)."""
    if not isinstance(log, dict) or not isinstance(log.get("actions"), list):
        raise ReplayError("the run sent no order log")
    warmup = log.get("warmup", 0)
    if not isinstance(warmup, int) or isinstance(warmup, bool) or not 0 <= warmup < max(n_bars, 1):
        raise ReplayError(f"warm-up {warmup!r} is outside the data's {n_bars} bars")
    by_bar: dict[int, list[list[Any]]] = {}
    for k, act in enumerate(log["actions"]):
        check_action(act, n_bars, f"action {k}")
        bar = act[1]
        by_bar.setdefault(bar, []).append(act)
    return warmup, by_bar


def check_action(act: Any, n_bars: int, what: str = "action") -> None:
    """Raise ReplayError unless ``act`` is a well-formed decision at a bar in range."""
    if not isinstance(act, list) or not act or act[0] not in KINDS or len(act) != KINDS[act[0]]:
        raise ReplayError(f"{what} is malformed: {str(act)[:200]}")
    bar = act[1]
    if not isinstance(bar, int) or isinstance(bar, bool) or not -1 <= bar < n_bars:
        raise ReplayError(f"{what} ({act[0]}) is at bar {bar!r}, outside the data's {n_bars} bars")
    kind = act[0]
    if kind in ("buy", "sell"):
        kw = act[2]
        if not isinstance(kw, dict) or set(kw) - set(ORDER_KEYS):
            raise ReplayError(f"{what} ({kind}) has unknown order fields: {str(kw)[:200]}")
        for key in ("size", "limit", "stop", "sl", "tp"):
            if kw.get(key) is not None:
                _finite(kw[key], f"{what} {key}", positive=True)
    elif kind == "pclose":
        _finite(act[2], f"{what} portion", positive=True)
    elif kind == "tclose":
        _ref(act[2], what)
        _finite(act[3], f"{what} portion", positive=True)
    elif kind in ("sl", "tp"):
        _ref(act[2], what)
        if act[3] is not None:
            _finite(act[3], f"{what} price", positive=True)
    elif not isinstance(act[2], int) or isinstance(act[2], bool) or act[2] < 0:
        raise ReplayError(f"{what} (cancel) must name an order index, got {act[2]!r}")


def _engine() -> Any:
    """backtesting, imported without bokeh (loaded on the first plot only)."""
    from executor.harness import lazy_plotting

    lazy_plotting.install()
    import backtesting

    return backtesting


def _make_strategy_class() -> Any:
    Strategy = _engine().Strategy  # noqa: N806

    class Replay(Strategy):  # type: ignore[valid-type, misc]
        _rbi_warmup = 0
        _rbi_by_bar: dict[int, list[list[Any]]] = {}
        _rbi_deadline: float | None = None

        def init(self) -> None:
            n = self._rbi_warmup
            if n:
                warm = np.zeros(len(self.data))
                warm[:n] = np.nan
                self._rbi_warm = self.I(lambda: warm, name="warm-up", plot=False)
                self._indicators.clear()  # sets the start bar only: no Entry_/Exit_ trade columns
            self._rbi_apply(-1)

        def next(self) -> None:
            bar = len(self.data) - 1
            if self._rbi_deadline is not None and time.monotonic() > self._rbi_deadline:
                raise ReplayDeadline(bar)
            self._rbi_apply(bar)

        def _rbi_apply(self, bar: int) -> None:
            for act in self._rbi_by_bar.pop(bar, ()):
                try:
                    apply_action(self, act)
                except ReplayError:
                    raise
                except Exception as exc:  # noqa: BLE001 - any engine refusal means: not replayable
                    raise ReplayError(f"{act[0]} at bar {bar} was refused by the engine: "
                                      f"{type(exc).__name__}: {exc}") from None

    return Replay


def _trade(strategy: Any, ref: list[Any], kind: str, bar: int) -> Any:
    seq = strategy.trades if ref[0] == "t" else strategy.closed_trades
    if ref[1] >= len(seq):
        where = "open" if ref[0] == "t" else "closed"
        raise ReplayError(f"{kind} at bar {bar} names {where} trade {ref[1]}, but there "
                          f"{'is' if len(seq) == 1 else 'are'} {len(seq)} {where} trade(s) then")
    return seq[ref[1]]


def apply_action(s: Any, act: list[Any]) -> None:
    """Make the call ``act`` names on strategy ``s`` (bound to the broker that books it)."""
    kind, bar = act[0], act[1]
    if kind in ("buy", "sell"):
        getattr(s, kind)(**act[2])
    elif kind == "pclose":
        s.position.close(act[2])
    elif kind == "tclose":
        _trade(s, act[2], kind, bar).close(act[3])
    elif kind in ("sl", "tp"):
        setattr(_trade(s, act[2], kind, bar), kind, act[3])
    else:
        orders = s.orders
        if act[2] >= len(orders):
            raise ReplayError(f"cancel at bar {bar} names order {act[2]}, but there are "
                              f"{len(orders)} pending order(s) then")
        orders[act[2]].cancel()


class Replayer:
    """One pristine dataset + one set of Backtest options; replays any number of logs."""

    def __init__(self, data: Any, options: dict[str, Any], *, lean: bool = True,
                 facts: Any = None) -> None:
        Backtest = _engine().Backtest  # noqa: N806

        self.lean = lean  # False: the reference, a whole Backtest.run (see replay_lean)
        self.data = data
        from executor.execution import backtest_kwargs_of

        self.options = backtest_kwargs_of(options)
        self.n_bars = len(data)
        self.cls = _make_strategy_class()
        self._facts: Any = facts  # DatasetFacts of this very data (shared, read-only), or None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.bt = Backtest(data, self.cls, **self.options)

    def facts(self) -> Any:
        """The dataset's fixed statistics inputs (computed on the first lean replay)."""
        if self._facts is None:
            from executor.replay_fast_stats import DatasetFacts

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._facts = DatasetFacts(self.bt._data)
        return self._facts

    def run(self, log: Any, params: dict[str, Any], name: str = "Strategy", *,
            frames: bool = True, deadline_s: float | None = None) -> Replayed:
        """Replay ``log``; without ``frames`` the stats' ``_trades`` and ``_equity_curve``
        may be None (a stats-only result: cheaper). ``deadline_s``: the replay's time
        budget; past it, :class:`ReplayDeadline` (a log can be made far costlier to replay
        than the run that sent it was: orders that never fill, placed at early bars)."""
        deadline = None if deadline_s is None else time.monotonic() + deadline_s
        warmup, by_bar = parse_log(log, self.n_bars)
        cls = self.cls
        cls.__name__ = cls.__qualname__ = strategy_name(name)
        for key in params:  # Strategy._check_params wants class attributes; str() shows them
            if not hasattr(cls, key):
                setattr(cls, key, None)
        cls._rbi_warmup, cls._rbi_by_bar, cls._rbi_deadline = warmup, by_bar, deadline
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stats = (run_lean(self.bt, cls, params, by_bar, self.facts(), frames, deadline)
                         if self.lean else self.bt.run(**params))
        except ReplayError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever stops the engine: not replayable
            raise ReplayError(f"the engine stopped: {type(exc).__name__}: {str(exc)[:300]}") from None
        finally:
            cls._rbi_by_bar, cls._rbi_deadline = {}, None
        if by_bar:
            first = min(by_bar)
            n = sum(len(v) for v in by_bar.values())
            raise ReplayError(f"{n} action(s) at bars the backtest never reached (first at bar {first}; "
                              f"trading starts at bar {warmup + 1})")
        return Replayed(stats, self.bt)

    def plot_html(self, replayed: Replayed) -> str:
        """backtesting's own HTML plot of the replayed run, rendered here (never in the sandbox)."""
        fd, path = tempfile.mkstemp(suffix=".html", prefix="rbi-plot-")
        os.close(fd)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                replayed.backtest.plot(results=replayed.stats, filename=path, open_browser=False)
            with open(path, encoding="utf-8") as fh:
                return fh.read()
        finally:
            os.unlink(path)


def books_strategy(broker: Any, data: Any) -> Any:
    """A Strategy bound to ``broker`` that only places the decisions it is given (the
    paper broker's hands: :func:`apply_action` needs a Strategy's public API)."""
    Strategy = _engine().Strategy  # noqa: N806

    class Books(Strategy):  # type: ignore[valid-type, misc]
        def init(self) -> None:
            pass

        def next(self) -> None:
            pass

    return Books(broker, data, {})

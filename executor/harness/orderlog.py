"""Record a strategy's decisions, bar by bar, in the process that runs it.

The numbers that leave a run are not taken from this process: the host replays the log
this module writes through a pristine engine (see :mod:`executor.replay`). So the log
holds only *decisions*, expressed as the public backtesting.py calls that made them:

    ["buy"|"sell", bar, {"size":…, "limit":…, "stop":…, "sl":…, "tp":…, "tag":…}]
    ["pclose", bar, portion]                     Position.close(portion)
    ["tclose", bar, ref, portion]                Trade.close(portion)
    ["sl"|"tp", bar, ref, price]                 trade.sl = price / trade.tp = price
    ["cancel", bar, order_index]                 Order.cancel()

``bar`` is the index of the bar whose ``next()`` made the call (-1: ``init()``); ``ref``
is ``["t", i]`` (i-th entry of ``self.trades`` at call time) or ``["c", i]`` (of
``self.closed_trades``); ``order_index`` indexes ``self.orders`` at call time. On a
faithful replay those indices name the same objects. Only the outermost call is
recorded (``Position.close`` closing each trade, ``exclusive_orders`` cancelling orders
or a ``trade.sl`` assignment replacing its order are the engine's own consequences, and
the replay's engine repeats them), and only calls that returned normally.

:func:`install` patches the engine's public methods ONCE, in the harness parent, before
any strategy code exists; :func:`recording` arms it for one run in a run child.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

MAX_ACTIONS = 200_000  # a longer log is refused (status error, with what to do)
MAX_TAG = 200


class TooManyActions(RuntimeError):
    pass


class _Recorder:
    def __init__(self) -> None:
        self.armed = False  # this run records
        self.active = False  # inside the strategy's own init()/next() right now
        self.depth = 0
        self.bar = -1
        self.actions: list[list[Any]] = []
        self.first_bar: int | None = None
        self.next_calls = 0
        self.cls: type | None = None  # the Recorded class of this run
        self.claims: dict[str, Any] = {}

    def add(self, action: list[Any]) -> None:
        if len(self.actions) >= MAX_ACTIONS:
            raise TooManyActions(
                f"the strategy placed more than {MAX_ACTIONS} orders/closes/cancels in one run; "
                "trade less often (e.g. act only on a signal change) or shorten the data")
        self.actions.append(action)


REC = _Recorder()


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _tag(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v[:MAX_TAG] if isinstance(v, str) else v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    try:
        return str(v)[:MAX_TAG]
    except Exception:  # noqa: BLE001 - a tag whose str() raises is just unnamed
        return None


def _trade_ref(broker: Any, trade: Any) -> list[Any] | None:
    for kind, seq in (("t", broker.trades), ("c", broker.closed_trades)):
        for i, t in enumerate(seq):
            if t is trade:
                return [kind, i]
    return None


def _order_index(broker: Any, order: Any) -> int | None:
    for i, o in enumerate(broker.orders):
        if o is order:
            return i
    return None


def _outermost(record: Callable[..., list[Any] | None]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap an engine method: when armed and not nested, log ``record(...)`` after it returns."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not (REC.armed and REC.active) or REC.depth:
                return fn(*args, **kwargs)
            action = record(*args, **kwargs)  # indices as they are BEFORE the call
            REC.depth += 1
            try:
                result = fn(*args, **kwargs)
            finally:
                REC.depth -= 1
            if action is not None:
                REC.add([action[0], REC.bar, *action[1:]])
            return result

        wrapper.__rbi_orderlog__ = True  # type: ignore[attr-defined]
        return wrapper

    return deco


def _order_kwargs(size: Any = None, limit: Any = None, stop: Any = None, sl: Any = None,
                  tp: Any = None, tag: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if size is not None:
        out["size"] = _num(size)
    for key, val in (("limit", limit), ("stop", stop), ("sl", sl), ("tp", tp)):
        if val is not None:
            out[key] = _num(val)
    if tag is not None:
        out["tag"] = _tag(tag)
    return out


def install() -> None:
    """Patch backtesting's public decision methods with recording wrappers (idempotent)."""
    from backtesting import backtesting as bt

    if getattr(bt.Strategy.buy, "__rbi_orderlog__", False):
        return

    def side(name: str) -> Callable[..., list[Any]]:
        def rec(self: Any, **kw: Any) -> list[Any]:
            return [name, _order_kwargs(**kw)]
        return rec

    bt.Strategy.buy = _outermost(side("buy"))(bt.Strategy.buy)  # type: ignore[method-assign]
    bt.Strategy.sell = _outermost(side("sell"))(bt.Strategy.sell)  # type: ignore[method-assign]
    bt.Position.close = _outermost(  # type: ignore[method-assign]
        lambda self, portion=1.0: ["pclose", _num(portion)])(bt.Position.close)

    def trade_close(self: Any, portion: float = 1.0) -> list[Any] | None:
        ref = _trade_ref(self._Trade__broker, self)
        return None if ref is None else ["tclose", ref, _num(portion)]

    bt.Trade.close = _outermost(trade_close)(bt.Trade.close)  # type: ignore[method-assign]

    def order_cancel(self: Any) -> list[Any] | None:
        idx = _order_index(self._Order__broker, self)
        return None if idx is None else ["cancel", idx]

    bt.Order.cancel = _outermost(order_cancel)(bt.Order.cancel)  # type: ignore[method-assign]
    for kind in ("sl", "tp"):
        prop = getattr(bt.Trade, kind)

        def contingent(self: Any, price: Any, _kind: str = kind) -> list[Any] | None:
            ref = _trade_ref(self._Trade__broker, self)
            return None if ref is None else [_kind, ref, _num(price)]

        setattr(bt.Trade, kind, prop.setter(_outermost(contingent)(prop.fset)))
    bt.compute_stats = _light_stats(bt.compute_stats)


def _light_stats(real: Callable[..., Any]) -> Callable[..., Any]:
    """In a recorded run the statistics are the host's job: keep two numbers as the
    process's claim (compared with the replay) instead of computing them all twice."""

    def compute_stats(**kw: Any) -> Any:
        inst = kw.get("strategy_instance")
        if not (REC.armed and REC.cls is not None and isinstance(inst, REC.cls)):
            return real(**kw)  # a backtest the strategy runs itself
        import pandas as pd

        equity = kw["equity"]
        REC.claims = {"Equity Final [$]": float(equity[-1]) if len(equity) else None,
                      "# Trades": len(kw["trades"])}
        return pd.Series({"_strategy": inst}, dtype=object)

    compute_stats.__rbi_orderlog__ = True  # type: ignore[attr-defined]
    return compute_stats


def wrap_strategy(cls: type) -> type:
    """A subclass of ``cls`` whose ``init``/``next`` tell the recorder which bar acts."""

    class Recorded(cls):  # type: ignore[valid-type, misc]
        def init(self) -> None:
            REC.bar, REC.active = -1, True
            try:
                super().init()
            finally:
                REC.active = False

        def next(self) -> None:
            REC.bar, REC.active = len(self._data) - 1, True
            if REC.first_bar is None:
                REC.first_bar = REC.bar
            REC.next_calls += 1
            try:
                super().next()
            finally:
                REC.active = False  # the engine's own calls (SL/TP of a fill, finalize_trades)

    Recorded.__name__ = cls.__name__
    Recorded.__qualname__ = cls.__qualname__
    Recorded.__module__ = cls.__module__
    return Recorded


@contextmanager
def recording(cls: type) -> Iterator[_Recorder]:
    """Arm the recorder for one run of ``cls`` (from :func:`wrap_strategy`); the engine's
    own calls outside init/next are skipped."""
    REC.__init__()  # type: ignore[misc]
    REC.cls = cls
    REC.armed = True
    try:
        yield REC
    finally:
        REC.armed = False


def log_doc(rec: _Recorder, warmup: int) -> dict[str, Any]:
    """The message part the host replays (see :mod:`executor.replay`)."""
    return {"v": 1, "warmup": int(warmup), "first_bar": rec.first_bar,
            "next_calls": rec.next_calls, "actions": rec.actions}

"""A long-lived strategy session in the sandbox: one closed bar in, its decisions out.

``python -m executor.harness [--isolate JSON] --session`` (the same jail as a backtest). Lines of
JSON on stdin, lines of JSON on the private result channel (the original stdout; the
strategy's own prints go to /dev/null)::

    in : {"rbi": "session", "code": ..., "params": {...}, "options": {...},
          "strategy_class": null, "restricted": false, "limits": {...}}
    out: {"rbi": "ready", "strategy": "SmaCross"}            or {"rbi": "error", ...}
    in : {"bar": [ts_ns, open, high, low, close, volume]}      one per closed bar
    out: {"rbi": "bar", "i": 17, "active": true, "actions": [[kind, 17, ...], ...]}
    in : {"bars": [[ts_ns, ...], ...]}                          a batch (replayed bars)
    out: {"rbi": "bars", "decisions": [{"rbi": "bar", "i": 17, ...}, ...]}
    in : {"bars": [...], "checks": [s, ...]}       a chunk: one init(), spot checks at s
    out: the same, or {"rbi": "error", "error": {"type": "LookAhead", ...}}
    in : {"end": true}                                        (or EOF)

A batch is only framing: its bars are stepped one after the other exactly as if they had
come one per line (``next()`` on bar i runs before bar i + 1 is appended to what the
strategy can see), and one reply carries their decisions in order. If a bar fails, the
decisions before it come back first, then the error. A batch with ``checks`` is a
*chunk* (:mod:`executor.harness.chunk`): ``init()`` runs once on the chunk's bars instead
of once per bar, guarded by prefix spot checks at the bars the trusted side picked.

The strategy never sees a bar before it closed: at every bar (exact mode) its indicators
are recomputed by a fresh ``init()`` on the bars so far (so a strategy that peeks at the
future behaves differently here than in a backtest — the paper stage's parity check) or,
in a chunk, they are the chunk's, sliced to the bars so far and spot-checked,
its own simulated broker fills the orders it placed, and ``next()`` decides. Decisions
are the public backtesting.py calls it made (:mod:`executor.harness.orderlog`); the
books that count are kept outside the sandbox by the trusted paper broker, which applies
them to pristine bars. Nothing this process says is believed beyond "these are my
orders".
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from typing import IO, Any

MAX_LINE = 4 * 1024 * 1024
MAX_ACTIONS_PER_BAR = 1000
MAX_BATCH = 256


class Stepper:
    """Runs one strategy class bar by bar over a growing dataset."""

    def __init__(self, cls: type, params: dict[str, Any], options: dict[str, Any]) -> None:
        import numpy as np

        from executor.harness import orderlog
        from executor.harness.growing import GrowingBars

        self.np = np
        self.options = dict(options)
        self.cls = orderlog.wrap_strategy(cls)
        self.params = dict(params)
        self.bars = GrowingBars()  # what the strategy sees: the bars so far, nothing after
        self.ahead = GrowingBars()  # a chunk's bars, for its one init() (never self.data)
        self.chunk_seen: tuple[dict[str, Any], int] | None = None  # last chunk's indicators
        self.strategy: Any = None
        self.broker: Any = None
        self.rec = orderlog.REC
        self._scratch_broker: Any = None
        self._scratch_cash = 0.0
        # the throwaway instance's indicators skip plot metadata (names, overlay guess)
        # unless the strategy brings its own ``I``
        from backtesting import Strategy

        self._lean = getattr(cls, "I", None) is Strategy.I
        self._recording = orderlog.recording(self.cls)
        self._recording.__enter__()

    def _scratch(self, data: Any) -> Any:
        """The throwaway broker a fresh ``init()`` sees: one object, emptied and pointed
        at the bars so far each time (building a new one cost more than the init)."""
        from executor.harness.growing import grow_broker, new_broker

        if self._scratch_broker is None:
            self._scratch_broker = new_broker(data, self.options)
            self._scratch_cash = self._scratch_broker._cash
        b = self._scratch_broker
        grow_broker(b, data)
        b.orders.clear()
        b.trades.clear()
        b.closed_trades.clear()
        b._trades_cache_clear()
        b._cash = self._scratch_cash
        return b

    def init_on(self, data: Any) -> Any:
        """A throwaway instance whose ``init()`` ran on ``data`` (its orders dropped)."""
        inst = self.cls(self._scratch(data), data, self.params)
        if self._lean:
            inst.I = functools.partial(_lean_indicator, inst)
        mark = len(self.rec.actions)
        inst.init()
        del self.rec.actions[mark:]  # orders from this throwaway init() are not decisions
        return inst

    def _fresh(self, data: Any, need_warmup: bool) -> tuple[Any, int | None]:
        """A new instance whose init() ran on the bars so far: its indicators, and the
        warm-up (None while some indicator is still all-NaN; only computed while the
        strategy has not started — afterwards it cannot change anything)."""
        from backtesting._util import _indicator_warmup_nbars, _strategy_indicators

        inst = self.init_on(data)
        if not need_warmup:
            return inst, 0
        for _, ind in _strategy_indicators(inst):
            arr = self.np.asarray(ind, dtype=float)
            if arr.size and self.np.isnan(arr).all(axis=-1).any():
                return inst, None
        return inst, _indicator_warmup_nbars(inst)

    def step(self, bar: list[Any], arrays: dict[str, Any] | None = None,
             full: int = 0) -> dict[str, Any]:
        """Decide one bar. Exact mode (``arrays`` None): a fresh ``init()`` on the bars so
        far. In a chunk (:mod:`executor.harness.chunk`): ``arrays`` from the ``init()`` on
        the chunk's ``full`` bars, sliced to the bars so far."""
        from executor.harness import chunk
        from executor.harness.growing import grow_broker, new_broker

        self.bars.append(bar)
        if self.ahead.n < self.bars.n:
            self.ahead.append(bar)
        i = self.bars.n - 1
        data = self.bars.data()
        fresh = None
        if arrays is None:
            self.chunk_seen = None  # an exact bar: the next chunk has no previous one to check
            fresh, warm = self._fresh(data, need_warmup=self.strategy is None)
        else:
            warm = chunk.warmup(arrays, i + 1, full) if self.strategy is None else 0
        # Backtest.run starts at 1 + warm-up (two bars at least); before that nothing runs
        if warm is None or i < 1 + warm:
            return {"rbi": "bar", "i": i, "active": False, "actions": []}
        mark = len(self.rec.actions)
        if self.strategy is None:
            # the one init() whose state and init-time orders count, on the bars so far
            self.broker = new_broker(data, self.options)
            self.strategy = self.cls(self.broker, data, self.params)
            self.strategy.init()
            for action in self.rec.actions[mark:]:
                action[1] = -1  # an init() order: the trusted broker places it before bar i
        else:
            grow_broker(self.broker, data)
            self.strategy._data = data
        if fresh is not None:
            self._refresh(fresh)
        else:
            for attr, value in arrays.items():  # type: ignore[union-attr]
                if not attr.startswith("self.I #"):
                    setattr(self.strategy, attr, chunk.sliced(value, i + 1, full))
        with self.np.errstate(invalid="ignore"):
            self.broker.next()
            self.strategy.next()
        actions = self.rec.actions[mark:]
        del self.rec.actions[:]  # the session keeps no history: the host has it
        if len(actions) > MAX_ACTIONS_PER_BAR:
            raise RuntimeError(f"{len(actions)} orders/closes/cancels in one bar (limit "
                               f"{MAX_ACTIONS_PER_BAR}): act on signal changes, not every bar")
        return {"rbi": "bar", "i": i, "active": True, "actions": actions}

    def _refresh(self, fresh: Any) -> None:
        """Give the living instance what a fresh init() computed on the bars so far: its
        indicators and any other arrays (state next() keeps in scalars, lists and dicts
        stays the living instance's own)."""
        import pandas as pd

        for attr, value in vars(fresh).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, self.np.ndarray | pd.Series | pd.DataFrame):
                setattr(self.strategy, attr, value)


def _lean_indicator(inst: Any, func: Any, *args: Any, name: Any = None, plot: bool = True,
                    overlay: Any = None, **kwargs: Any) -> Any:
    """``Strategy.I`` for the throwaway instance: the same values and checks, without the
    plot label and the overlay guess (nobody plots it; they cost as much as a small
    indicator)."""
    from backtesting import Strategy

    return Strategy.I(inst, func, *args, name="I" if name is None else name, plot=plot,
                      overlay=False if overlay is None else overlay, **kwargs)


def _send(fd: int, doc: dict[str, Any]) -> None:
    data = (json.dumps(doc, default=str, allow_nan=False) + "\n").encode()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _error(exc: BaseException, code: str) -> dict[str, Any]:
    from executor.harness.child import error_doc

    return {"rbi": "error", "error": error_doc(exc, code)}


def serve_session(stdin: IO[bytes], channel: int) -> int:
    """The session loop (see the module docstring). Returns the process exit code."""
    from executor.harness import child, chunk, lazy_plotting, orderlog

    lazy_plotting.install()
    import backtesting  # noqa: F401 - the engine is loaded before any strategy code

    orderlog.install()
    header = json.loads(stdin.readline(MAX_LINE) or b"{}")
    if header.get("rbi") != "session":
        _send(channel, {"rbi": "error", "error": {"type": "ProtocolError", "class": "protocol",
                                                  "message": "expected a session header",
                                                  "traceback": "", "line": None}})
        return 2
    code = str(header.get("code") or "")
    child.set_limits(header.get("limits") or {})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = child.load_module(code, header, None)
            cls = child.find_strategy(mod, header.get("strategy_class"))
        options = dict(header.get("options") or {})
        if header.get("execution") is not None:
            from executor.execution import model_from

            options.update(model_from(header["execution"]).backtest_kwargs())
        stepper = Stepper(cls, header.get("params") or {}, options)
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything
        _send(channel, _error(exc, code))
        return 1
    _send(channel, {"rbi": "ready", "strategy": cls.__name__})
    for raw in iter(lambda: stdin.readline(MAX_LINE), b""):
        msg = json.loads(raw)
        if msg.get("end"):
            break
        batch = msg["bars"] if "bars" in msg else None
        done: list[dict[str, Any]] = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if batch is None:
                    _send(channel, stepper.step(msg["bar"]))
                    continue
                if not isinstance(batch, list) or len(batch) > MAX_BATCH:
                    raise ValueError(f"a batch holds 1 to {MAX_BATCH} bars")
                if "checks" in msg:  # one init() for the chunk, spot-checked
                    chunk.step_chunk(stepper, batch, list(msg["checks"] or []), done)
                else:  # strictly one bar after the other, as if they came apart
                    for bar in batch:
                        done.append(stepper.step(bar))
        except BaseException as exc:  # noqa: BLE001
            if done:  # the bars decided before the failure still count
                _send(channel, {"rbi": "bars", "decisions": done})
            _send(channel, _error(exc, code))
            return 1
        _send(channel, {"rbi": "bars", "decisions": done})
    return 0

"""One paper session from the trusted side: a sandboxed strategy plus the paper broker.

    with PaperSession(code, params=..., options=..., model="default", backend="auto") as s:
        for bar in feed:                       # [ts_ns, open, high, low, close, volume]
            report = s.step(bar)               # fills, equity, position after this bar

The strategy runs only in the sandbox (:mod:`executor.harness.session`); it gets each
closed bar and answers with decisions; :class:`~executor.paper.broker.PaperBroker`
books them on the same pristine bar. :func:`parity` replays a backtest's own period
this way with perfect fills and compares trade for trade with the sandbox's verified
``Backtest.run()``: a strategy that only looks backwards reproduces it exactly.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from executor.execution import PERFECT, Model, model_from
from executor.harness.growing import bar_row
from executor.paper.broker import PaperBroker, StepReport
from executor.paper.channel import Channel, SessionFailed, open_channel
from executor.types import BacktestOptions, Limits

__all__ = ["LookAheadDetected", "ParityResult", "PaperSession", "SessionFailed", "parity"]

BAR_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 120.0
BATCH = 32  # known bars per message in step_many: one init() per chunk of them
CHECKS = 1  # prefix spot checks per chunk (bars drawn at random on this side)


class LookAheadDetected(SessionFailed):
    """A spot check found the strategy's indicators changing when later bars are in view:
    its code reads the future (the session stops; the strategy is marked)."""


class PaperSession:
    batch = BATCH  # known bars per message (step_many)

    def __init__(self, code: str, *, params: dict[str, Any] | None = None,
                 options: BacktestOptions | dict[str, Any] | None = None,
                 model: Model | dict[str, Any] | str | None = None, backend: str = "auto",
                 limits: Limits | None = None, strategy_class: str | None = None,
                 bar_timeout_s: float = BAR_TIMEOUT_S, checks: int = CHECKS,
                 seed: int | None = None) -> None:
        opts = options.to_dict() if isinstance(options, BacktestOptions) else dict(options or {})
        opts.pop("commission", None)  # costs come from the execution model, on both sides
        opts.pop("spread", None)
        opts.pop("finalize_trades", None)
        opts.pop("execution", None)  # the session's own model prices its fills
        self.model = model_from(model)
        self.options = opts
        self.code = code
        self.params = dict(params or {})
        self.limits = limits or Limits()
        self.strategy_class = strategy_class
        self.backend = backend
        self.bar_timeout_s = bar_timeout_s
        self.checks = max(int(checks), 0)
        self.rng = random.Random(seed)  # picks the spot-checked bars; never sent ahead
        self.broker = PaperBroker(opts, self.model)
        self.channel: Channel | None = None
        self.strategy_name = ""
        self.bars = 0
        self.decide_s = 0.0
        self.book_s = 0.0
        self.last_actions: list[Any] = []
        self.reports: list[StepReport] = []

    def __enter__(self) -> PaperSession:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        self.channel = open_channel(self.backend, self.limits)
        self.backend = self.channel.backend
        self.channel.send({"rbi": "session", "code": self.code, "params": self.params,
                           "options": self.options, "execution": self.model.to_dict(),
                           "strategy_class": self.strategy_class,
                           "limits": self.limits.to_dict()})
        reply = self.channel.receive(READY_TIMEOUT_S)
        if reply["rbi"] == "error":
            self.close()
            raise SessionFailed(_error_text(reply))
        self.strategy_name = str(reply.get("strategy") or "")[:100]

    def step(self, bar: list[Any]) -> StepReport:
        """Send one closed bar; book the decisions that come back."""
        assert self.channel is not None, "open() the session first"
        t0 = time.perf_counter()
        self.channel.send({"bar": bar})
        reply = self.channel.receive(self.bar_timeout_s)
        t1 = time.perf_counter()
        if reply["rbi"] != "bar":
            raise _failure(reply)
        report = self._book(bar, reply)
        self.decide_s += t1 - t0
        self.book_s += time.perf_counter() - t1
        return report

    def step_many(self, bars: list[list[Any]], *, exact: bool = False) -> list[StepReport]:
        """Several bars that are already known (a replay, the warm-up, a resume), up to
        :attr:`batch` to a message, booked in order. The sandbox decides one bar after the
        other — ``next()`` on a bar runs before the following bar is in ``self.data`` —
        and, unless ``exact``, runs the strategy's ``init()`` once per message (a chunk)
        instead of once per bar, guarded by :attr:`checks` prefix spot checks per chunk
        at bars drawn here (:mod:`executor.harness.chunk`; a failed check raises
        :class:`LookAheadDetected`). ``exact``: ``init()`` on the bars so far at every
        bar (the parity check). On a failure the bars decided before it are booked (see
        :attr:`reports`) and SessionFailed is raised."""
        assert self.channel is not None, "open() the session first"
        self.reports = []
        for k in range(0, len(bars), self.batch):
            chunk = bars[k:k + self.batch]
            msg: dict[str, Any] = {"bars": chunk}
            if not exact:
                inside = range(self.bars, self.bars + len(chunk) - 1)  # bars with later ones
                msg["checks"] = sorted(self.rng.sample(inside, min(self.checks, len(inside))))
            t0 = time.perf_counter()
            self.channel.send(msg)
            reply = self.channel.receive(self.bar_timeout_s * len(chunk))
            t1 = time.perf_counter()
            if reply["rbi"] == "error":
                raise _failure(reply)
            decisions = reply.get("decisions")
            if reply["rbi"] != "bars" or not isinstance(decisions, list) \
                    or not 0 < len(decisions) <= len(chunk):
                raise SessionFailed("the session's reply to a batch is not one decision per bar")
            for bar, decision in zip(chunk, decisions, strict=False):
                self.reports.append(self._book(bar, decision))
            self.decide_s += t1 - t0
            self.book_s += time.perf_counter() - t1
            if len(decisions) < len(chunk):  # it failed on the next bar: the error follows
                raise _failure(self.channel.receive(self.bar_timeout_s))
        return self.reports

    def _book(self, bar: list[Any], reply: dict[str, Any]) -> StepReport:
        if reply.get("rbi") != "bar" or reply.get("i") != self.bars:
            raise SessionFailed(f"the session answered for bar {reply.get('i')!r}, not {self.bars}")
        actions = reply.get("actions")
        if not isinstance(actions, list):
            raise SessionFailed("the session's reply has no list of actions")
        report = self.broker.step(bar, actions)
        self.last_actions = actions
        report.actions = actions
        self.bars += 1
        return report

    def equity(self, default: float) -> float:
        """The books' equity now (``default`` before the first bar)."""
        b = self.broker.broker
        return float(b.equity) if b is not None else float(default)

    def close(self) -> None:
        if self.channel is not None:
            try:
                self.channel.send({"end": True})
            except SessionFailed:
                pass
            self.channel.close()
            self.channel = None


def _failure(reply: dict[str, Any]) -> SessionFailed:
    if reply.get("rbi") == "error" and (reply.get("error") or {}).get("type") == "LookAhead":
        return LookAheadDetected(str(reply["error"].get("message", ""))[:1000])
    return SessionFailed(_error_text(reply))


def _error_text(reply: dict[str, Any]) -> str:
    err = reply.get("error") or {}
    return f"{err.get('type', 'Error')}: {str(err.get('message', ''))[:500]}"


@dataclass
class ParityResult:
    ok: bool
    backtest_trades: int
    paper_trades: int
    first_difference: str | None = None
    bars: int = 0
    seconds: float = 0.0
    mismatches: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "backtest_trades": self.backtest_trades,
                "paper_trades": self.paper_trades, "first_difference": self.first_difference,
                "bars": self.bars, "seconds": round(self.seconds, 3)}


def _key(t: dict[str, Any]) -> tuple[Any, ...]:
    """A trade as (entry bar, exit bar, size, entry price, exit price), from either the
    paper broker's books or a result's trade list (backtesting's column names)."""
    get = (lambda k: t[k]) if "entry_bar" in t else (lambda k: t["".join(
        w.capitalize() for w in k.split("_"))])
    return (int(get("entry_bar")), int(get("exit_bar")), float(get("size")),
            round(float(get("entry_price")), 6), round(float(get("exit_price")), 6))


def parity(code: str, data: Any, *, params: dict[str, Any] | None = None,
           options: BacktestOptions | None = None, backend: str = "auto",
           strategy_class: str | None = None) -> ParityResult:
    """Replay ``data`` bar by bar through a sandboxed session with perfect fills and
    compare its closed trades with the sandbox's verified backtest of the same period."""
    from dataclasses import replace

    from executor.sandbox import run
    from executor.types import RunRequest

    opts = replace(options or BacktestOptions(), commission=0.0, spread=0.0, finalize_trades=False)
    t0 = time.perf_counter()
    request = RunRequest(code=code, data=data, params=dict(params or {}), options=opts,
                         strategy_class=strategy_class, max_trades=100_000, equity_points=0)
    result = run(request, backend=backend)
    if not result.ok:
        raise SessionFailed(f"the backtest for the parity check did not run: {result.status} "
                            f"{(result.error or {}).get('message', '')}"[:500])
    expected = [_key(t) for t in result.trades or []]
    with PaperSession(code, params=params, options=opts, model=PERFECT, backend=backend,
                      strategy_class=strategy_class) as session:
        session.step_many([bar_row(ts.value if hasattr(ts, "value") else int(ts), row)
                           for ts, row in data.iterrows()], exact=True)
        got = [_key(t) for t in session.broker.trades() if t["exit_bar"] is not None]
    mismatch = next((k for k, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b), None)
    if mismatch is None and len(expected) != len(got):
        mismatch = min(len(expected), len(got))
    diff = None
    if mismatch is not None:
        a = expected[mismatch] if mismatch < len(expected) else None
        b = got[mismatch] if mismatch < len(got) else None
        diff = (f"trade {mismatch + 1}: backtest {_describe(a)}, bar by bar {_describe(b)} — the "
                "strategy decides differently when it cannot see the bars after the current one")
    return ParityResult(ok=mismatch is None, backtest_trades=len(expected), paper_trades=len(got),
                        first_difference=diff, bars=len(data), seconds=time.perf_counter() - t0)


def _describe(t: tuple[Any, ...] | None) -> str:
    if t is None:
        return "no trade"
    return f"bars {t[0]}->{t[1]}, size {t[2]:g}, {t[3]:g}->{t[4]:g}"

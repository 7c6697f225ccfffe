"""The executor's contract: what goes into a sandbox and what comes out.

Expected bad outcomes (a rejected file, a timeout, an OOM, zero trades) are *data*
in :class:`RunResult`; exceptions are reserved for the system's own faults
(see :mod:`executor.errors`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

# The keys of backtesting.py's stats block, in its order (the harness parses printed
# stats by them; the validator refuses string literals that spell them).
KNOWN_KEYS = (
    "Start", "End", "Duration", "Exposure Time [%]", "Equity Final [$]", "Equity Peak [$]",
    "Commissions [$]", "Return [%]", "Buy & Hold Return [%]", "Return (Ann.) [%]",
    "Volatility (Ann.) [%]", "CAGR [%]", "Sharpe Ratio", "Sortino Ratio", "Calmar Ratio",
    "Alpha [%]", "Beta", "Max. Drawdown [%]", "Avg. Drawdown [%]", "Max. Drawdown Duration",
    "Avg. Drawdown Duration", "# Trades", "Win Rate [%]", "Best Trade [%]", "Worst Trade [%]",
    "Avg. Trade [%]", "Max. Trade Duration", "Avg. Trade Duration", "Profit Factor",
    "Expectancy [%]", "SQN", "Kelly Criterion", "_strategy", "_equity_curve", "_trades",
)

# the Ray backend's view of its cluster, rewritten every 2 s in the results folder (the
# dashboard's cluster page reads it without importing Ray)
RAY_STATUS_FILE = "ray-cluster.json"

# ok: numbers from the host's replay of the order log (executor/verify.py);
# unverified: script mode, stats parsed from what the script printed (never ok);
# unreplayable: the order log did not replay on the original data; tampered: the
# strategy process broke the protocol or claimed other numbers than its orders give.
Status = Literal[
    "ok", "rejected", "error", "timeout", "memory", "output_limit", "killed", "tampered",
    "unverified", "unreplayable",
]
STATUSES: tuple[str, ...] = (
    "ok", "rejected", "error", "timeout", "memory", "output_limit", "killed", "tampered",
    "unverified", "unreplayable",
)


@dataclass(frozen=True)
class Violation:
    """One reason the validator refuses a file. ``hint`` says what to write instead."""

    line: int
    col: int
    rule: str
    message: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        tail = f" ({self.hint})" if self.hint else ""
        return f"{self.line}:{self.col} {self.rule}: {self.message}{tail}"


@dataclass(frozen=True)
class Limits:
    """Resource caps for one sandboxed run. Defaults follow the owner's settings."""

    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    timeout_s: float = 300.0
    scratch_mb: int = 100
    output_bytes: int = 32 * 1024 * 1024  # total stdout+stderr a strategy may print
    nofile: int = 256

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BacktestOptions:
    """Keyword arguments for ``backtesting.Backtest`` that the harness passes through."""

    cash: float = 10_000.0
    commission: float = 0.0
    spread: float = 0.0
    margin: float = 1.0
    trade_on_close: bool = False
    hedging: bool = False
    exclusive_orders: bool = False
    finalize_trades: bool = False
    # the execution model that priced commission/spread (Model.to_dict(); None: the
    # numbers above as given). Backtest(**...) takes executor.execution.backtest_kwargs_of
    execution: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunRequest:
    """One piece of strategy code to run on one dataset with one or more parameter sets.

    ``data`` is a pandas DataFrame with Open/High/Low/Close(/Volume) columns and a
    DatetimeIndex (see :mod:`executor.datasets`). ``param_sets`` with more than one
    entry is *batch mode*: the same code, many parameter sets, one result each.
    """

    code: str
    data: Any
    params: dict[str, Any] = field(default_factory=dict)
    param_sets: list[dict[str, Any]] | None = None
    options: BacktestOptions = field(default_factory=BacktestOptions)
    limits: Limits = field(default_factory=Limits)
    script: bool = False  # run the file as __main__ and parse its printed stats
    strategy_class: str | None = None  # which Strategy subclass, when there are several
    run_id: str = ""
    data_name: str = ""
    # RestrictedPython's compile-time checks and run-time guards for the strategy module
    # (on by default; script mode runs without them: its results are unverified anyway)
    restricted: bool = True
    max_trades: int = 1000  # trades listed in the result; 0 = stats only
    equity_points: int = 500  # equity-curve points in the result; 0 = none
    plot: bool = False  # ask the harness for backtesting.py's HTML plot (artefact)
    # the result carries the run's replayed order log (``RunResult.orderlog``): what the
    # strategy decided, bar by bar (the look-ahead check compares it across truncations)
    keep_orderlog: bool = False
    seed: int | None = None
    # the token :func:`executor.sandbox.validated` gave for this exact source (and
    # script/restricted flags): run() then skips its own validation; "" = validate
    validated: str = ""
    # a multi-frame batch (:func:`executor.multiframe.run_frames`): set ``i`` of
    # ``all_param_sets()`` runs on ``frames[frame_of[i]]``; None: every set on ``data``
    frames: list[Any] | None = None
    frame_of: list[int] | None = None

    @property
    def code_sha256(self) -> str:
        return hashlib.sha256(self.code.encode("utf-8", "surrogatepass")).hexdigest()

    def all_param_sets(self) -> list[dict[str, Any]]:
        return list(self.param_sets) if self.param_sets else [dict(self.params)]

    def frame_index(self, index: int) -> int:
        """Which of ``frames`` set ``index`` runs on (0 without frames)."""
        return int(self.frame_of[index]) if self.frames is not None and self.frame_of else 0

    def frame(self, index: int) -> Any:
        """The frame set ``index`` runs on."""
        return self.frames[self.frame_index(index)] if self.frames is not None else self.data


@dataclass
class RunResult:
    """The result contract shared by every sandbox backend (JSON via :meth:`to_dict`)."""

    status: str
    stats: dict[str, Any] = field(default_factory=dict)
    stats_source: str = "replay"  # "replay": the host's replay of the order log; "stdout": script mode
    violations: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    backend: str = "local"
    isolation: dict[str, Any] = field(default_factory=dict)
    code_sha256: str = ""
    data_sha256: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    equity_curve: list[dict[str, Any]] = field(default_factory=list)
    stdout_tail: str = ""
    stderr_tail: str = ""
    warnings: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    run_id: str = ""
    degenerate: str | None = None  # "zero_trades" | "nan_stats": ran, but nothing to score
    # with ``RunRequest.keep_orderlog``: the order log the host replayed to get these
    # numbers ({"actions": [[kind, bar, ...], ...], ...}: see executor/harness/orderlog.py)
    orderlog: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, default=str, **kw)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


@runtime_checkable
class Sandbox(Protocol):
    """A place to run untrusted strategy code. Backends: ``local``, ``docker``."""

    name: str

    def run(self, request: RunRequest) -> RunResult:
        """Run one parameter set (``request.params``)."""
        ...

    def run_batch(self, request: RunRequest) -> list[RunResult]:
        """Run every set in ``request.param_sets`` with ONE code version; results in order."""
        ...

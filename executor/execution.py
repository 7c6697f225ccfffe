"""Execution models: what a fill costs and when it happens.

One small protocol, ``ExecutionModel``, used in two places:

* backtests: :meth:`ExecutionModel.backtest_kwargs` maps the model onto backtesting.py's
  native knobs — ``commission`` (a callable ``(size, price) -> fee``: the fee regime plus
  slippage on every fill) and ``spread`` (the bid-ask spread, paid once per round trip, as
  backtesting.py applies it);
* paper trading: the paper broker asks the model for the fill price of an order on a bar
  (:meth:`fill_price`), how much of it fills (:meth:`fill_size`, capped at a share of the
  bar's volume), how many bars later (:attr:`latency_bars`) and the fee (:meth:`fee`,
  maker or taker).

Models are plain data (``to_dict``/``from_dict``), so a research config names them per
dataset and every report can say which model produced its numbers. ``perfect`` exists
for comparison only; research runs default to ``DEFAULT`` (percent commission plus
slippage).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Protocol

__all__ = [
    "DEFAULT", "PERFECT", "PRESETS", "ExecutionModel", "Fees", "Model", "backtest_kwargs_of",
    "model_from",
]

FeeKind = Literal["percent", "per_unit", "maker_taker", "none"]


@dataclass(frozen=True)
class Fees:
    """A fee regime. ``percent``: ``rate`` of the traded value; ``per_unit``: ``per_unit``
    per unit with a ``minimum`` per fill; ``maker_taker``: ``maker`` for resting (limit)
    orders, ``taker`` for orders that take liquidity (market, stop)."""

    kind: FeeKind = "percent"
    rate: float = 0.0
    per_unit: float = 0.0
    minimum: float = 0.0
    maker: float = 0.0
    taker: float = 0.0

    def __post_init__(self) -> None:
        for name in ("rate", "maker", "taker"):  # maker rebates may be negative
            value = getattr(self, name)
            if not (math.isfinite(value) and -0.01 <= value <= 0.2):
                raise ValueError(f"fee {name}={value!r} is outside [-0.01, 0.2]: give rates as "
                                 "fractions (0.001 = 0.1 %)")
        for name in ("per_unit", "minimum"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ValueError(f"fee {name} must be a finite amount >= 0")

    def fee(self, size: float, price: float, *, maker: bool = False) -> float:
        units, value = abs(size), abs(size) * price
        if self.kind == "percent":
            return value * self.rate
        if self.kind == "per_unit":
            return max(self.minimum, units * self.per_unit) if units else 0.0
        if self.kind == "maker_taker":
            return value * (self.maker if maker else self.taker)
        return 0.0

    def describe(self) -> str:
        if self.kind == "percent":
            return f"{self.rate * 100:g} % fee"
        if self.kind == "per_unit":
            return f"{self.per_unit:g}/unit fee (min {self.minimum:g})"
        if self.kind == "maker_taker":
            return f"maker {self.maker * 100:g} % / taker {self.taker * 100:g} %"
        return "no fees"


class ExecutionModel(Protocol):
    name: str
    latency_bars: int

    def fee(self, size: float, price: float, *, maker: bool = False) -> float: ...
    def fill_price(self, side: int, price: float, *, maker: bool = False) -> float: ...
    def fill_size(self, size: float, bar_volume: float | None) -> float: ...
    def backtest_kwargs(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class _Commission:
    """backtesting.py's ``commission`` callable: fees plus slippage on every fill, plus
    ``extra`` (a relative rate a cost stress adds). Always the **taker** fee: backtesting
    0.6 calls it with ``(size, price)`` only — from ``_open_trade``, ``_close_trade`` and
    its cash check — so it cannot tell a resting limit order (maker) from a market or stop
    order (taker), and charging every fill the higher rate is the conservative reading.
    (The paper broker can tell: :mod:`executor.paper.engine`.) A class, not a closure, so
    it pickles into forked workers and compares equal across processes."""

    fees: Fees
    slippage_bps: float
    extra: float = 0.0

    def __call__(self, size: float, price: float) -> float:
        value = abs(size) * price
        return self.fees.fee(size, price) + value * (self.slippage_bps / 1e4 + self.extra)


@dataclass(frozen=True)
class Model:
    """The one implementation of :class:`ExecutionModel`: composable parts, all optional."""

    name: str = "custom"
    fees: Fees = field(default_factory=Fees)
    slippage_bps: float = 0.0  # paid on every fill, against the trader
    spread_bps: float = 0.0  # full bid-ask spread; half is paid on each crossing
    latency_bars: int = 0  # paper: an order decided on bar t fills on bar t + 1 + latency
    max_volume_share: float | None = None  # paper: a fill takes at most this share of volume

    def __post_init__(self) -> None:
        if self.slippage_bps < 0 or self.spread_bps < 0 or self.latency_bars < 0:
            raise ValueError("slippage_bps, spread_bps and latency_bars must be >= 0")
        if self.max_volume_share is not None and not 0 < self.max_volume_share <= 1:
            raise ValueError("max_volume_share must be in (0, 1]")

    @property
    def perfect(self) -> bool:
        return self == replace(PERFECT, name=self.name)

    def fee(self, size: float, price: float, *, maker: bool = False) -> float:
        return self.fees.fee(size, price, maker=maker)

    def fill_price(self, side: int, price: float, *, maker: bool = False) -> float:
        """The price a ``side`` (+1 buy, -1 sell) order gets when the reference price is
        ``price``: a taker crosses half the spread and slips; a resting limit gets its
        price."""
        if maker:
            return price
        cost = (self.spread_bps / 2 + self.slippage_bps) / 1e4
        return price * (1 + math.copysign(cost, side))

    def fill_size(self, size: float, bar_volume: float | None) -> float:
        """Units that fill on a bar: all, or at most ``max_volume_share`` of its volume
        (whole units; the rest stays working)."""
        if self.max_volume_share is None or bar_volume is None or not math.isfinite(bar_volume):
            return size
        cap = math.floor(bar_volume * self.max_volume_share)
        return math.copysign(min(abs(size), cap), size)

    def backtest_kwargs(self) -> dict[str, Any]:
        """backtesting.Backtest keywords for this model (latency and partial fills have no
        native knob: the paper broker applies them)."""
        if self.fees.kind == "percent" and not self.slippage_bps:
            commission: Any = self.fees.rate
        else:
            commission = _Commission(self.fees, self.slippage_bps)
        return {"commission": commission, "spread": self.spread_bps / 1e4}

    def commission_rate(self) -> float | None:
        """The model as one relative commission per fill, when it is one: percent fees
        (or the **taker** side of maker/taker — a backtest cannot tell them apart) plus
        slippage. None for per-unit fees (a minimum per fill is no rate)."""
        slip = self.slippage_bps / 1e4
        if self.fees.kind == "percent":
            return self.fees.rate + slip
        if self.fees.kind == "maker_taker":
            return self.fees.taker + slip
        if self.fees.kind == "none":
            return slip
        return None

    def options_for(self, options: Any) -> Any:
        """``options`` (a BacktestOptions) priced by this model: ``commission`` and
        ``spread`` as plain numbers where the model is a rate (a cost stress may scale
        them), and ``execution`` naming the model (reports say which one produced a
        number; per-unit fees are charged from it, see :func:`backtest_kwargs_of`)."""
        rate = self.commission_rate()
        return replace(options, commission=rate if rate is not None else 0.0,
                       spread=self.spread_bps / 1e4, execution=self.to_dict())

    def describe(self) -> str:
        if self.perfect:
            return f"{self.name}: perfect fills, no costs (comparison only)"
        parts = [self.fees.describe()]
        if self.slippage_bps:
            parts.append(f"{self.slippage_bps:g} bps slippage")
        if self.spread_bps:
            parts.append(f"{self.spread_bps:g} bps spread")
        if self.latency_bars:
            parts.append(f"{self.latency_bars} bar latency")
        if self.max_volume_share:
            parts.append(f"fills <= {self.max_volume_share:.0%} of bar volume")
        return f"{self.name}: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PERFECT = Model(name="perfect")
# 0.15 % fees + 5 bps slippage: the 0.2 % a fill the research loop has always charged
# (commission=0.002), now with slippage said out loud
DEFAULT = Model(name="default", fees=Fees("percent", rate=0.0015), slippage_bps=5.0)
PRESETS: dict[str, Model] = {
    "perfect": PERFECT,
    "default": DEFAULT,
    "equities": Model(name="equities", fees=Fees("per_unit", per_unit=0.005, minimum=1.0),
                      slippage_bps=2.0, spread_bps=2.0),
    "crypto": Model(name="crypto", fees=Fees("maker_taker", maker=0.0002, taker=0.0005),
                    slippage_bps=5.0, spread_bps=2.0),
    "fx": Model(name="fx", spread_bps=1.0, slippage_bps=0.5),
}


def backtest_kwargs_of(options: dict[str, Any]) -> dict[str, Any]:
    """``Backtest(**...)`` keywords from ``BacktestOptions.to_dict()``: ``execution`` is
    metadata unless the model is not a rate (per-unit fees with a minimum); then the fees
    come from a commission callable and the ``commission`` number is added on top as a
    relative rate (zero unless a cost stress raised it)."""
    opts = dict(options)
    spec = opts.pop("execution", None)
    if spec is not None:
        model = model_from(spec)
        if model.commission_rate() is None:
            opts["commission"] = _Commission(model.fees, model.slippage_bps,
                                             float(opts.get("commission") or 0.0))
    return opts


def model_from(spec: dict[str, Any] | str | Model | None) -> Model:
    """A model from a preset name, a dict (``to_dict`` output or a config section, which
    may name a ``preset`` to start from), or ``None`` (the research default)."""
    if spec is None:
        return DEFAULT
    if isinstance(spec, Model):
        return spec
    if isinstance(spec, str):
        try:
            return PRESETS[spec]
        except KeyError:
            raise ValueError(f"unknown execution model {spec!r}; choose one of "
                             f"{sorted(PRESETS)} or give its fields") from None
    fields = dict(spec)
    base = model_from(fields.pop("preset", None)) if "preset" in fields else Model()
    fees = fields.pop("fees", None)
    unknown = set(fields) - set(Model.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown execution model field(s) {sorted(unknown)}; known: "
                         f"{sorted(Model.__dataclass_fields__)}")
    if fees is not None:
        fields["fees"] = fees if isinstance(fees, Fees) else Fees(**fees)
    return replace(base, **fields)


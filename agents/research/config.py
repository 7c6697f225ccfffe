"""The research-loop config file (YAML) for ``python -m agents.rbi run --config FILE``.

Example (every section optional; defaults shown in :data:`EXAMPLE`)::

    loop: {interval_seconds: 3600, max_cycles: 0}
    seed: 0
    datasets:
      - {name: GOOG, start: 2005-01-01, end: 2012-12-31}
      - {name: BTCUSD, last_n_days: 730}
    splits: {fractions: [0.6, 0.2, 0.2]}      # or validation_start + holdout_start,
                                              # or holdout_last_n_days
    strategies:
      - {name: SmaCross, file: examples/sma_cross.py,
         sweep: {n1: [5, 10, 20], n2: [20, 50, 100]}, constraints: ["n1 < n2"]}
      - {idea: "RSI oversold bounce on GOOG"}
    robustness:
      walk_forward: {enabled: true, folds: 4, anchored: false, metric: Sharpe Ratio}
      monte_carlo: {paths: 10000, block: 5, ruin_drawdown: 0.5}
      other_datasets: [EURUSD, BTCUSD]
    thresholds: my_thresholds.yaml             # or an inline mapping of overrides

:func:`load_config` raises :class:`ResearchConfigError` naming the key for an unknown
key, a wrong type or a bad date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import yaml

from executor.errors import ConfigError

__all__ = ["DatasetRef", "ResearchConfig", "ResearchConfigError", "RobustnessConfig", "dataset_frame",
           "load_config", "parse_config", "parse_config_text"]


class ResearchConfigError(ConfigError):
    """The research config is invalid; the message names the key."""


@dataclass
class LoopConfig:
    interval_seconds: float = 3600.0
    max_cycles: int = 0  # 0 = run until stopped


@dataclass
class DatasetRef:
    name: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    last_n_days: int | None = None


@dataclass
class SplitConfig:
    fractions: list[float] = field(default_factory=lambda: [0.6, 0.2, 0.2])
    validation_start: dt.date | None = None
    holdout_start: dt.date | None = None
    holdout_last_n_days: int | None = None
    validation_last_n_days: int | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`agents.research.splits.split_frame`."""
        out: dict[str, Any] = {"fractions": tuple(self.fractions)}
        for k in ("validation_start", "holdout_start", "holdout_last_n_days",
                  "validation_last_n_days"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out


@dataclass
class StrategyEntry:
    name: str = ""
    file: str | None = None
    idea: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sweep: dict[str, list[Any]] = field(default_factory=dict)
    constraints: list[str] = field(default_factory=list)


@dataclass
class WalkForwardConfig:
    enabled: bool = True
    folds: int = 4
    train_bars: int | None = None  # default: 2 x test_bars
    test_bars: int | None = None  # default: research bars // (folds + 2)
    anchored: bool = False
    metric: str = "Sharpe Ratio"
    min_trades: int = 1
    prune_after: int | None = None


@dataclass
class Switch:
    enabled: bool = True


@dataclass
class LookaheadConfig:
    enabled: bool = True
    cuts: list[float] = field(default_factory=lambda: [0.3, 0.45, 0.6, 0.75, 0.9])


@dataclass
class RandomDataConfig:
    enabled: bool = True
    walks: int = 30  # sign test needs >= 7 walks to ever reach p < 0.01


@dataclass
class MonteCarloConfig:
    enabled: bool = True
    paths: int = 10_000
    block: int = 5
    ruin_drawdown: float = 0.5


@dataclass
class RegimesConfig:
    enabled: bool = True
    window: int = 63


@dataclass
class CostsConfig:
    enabled: bool = True
    multipliers: list[float] = field(default_factory=lambda: [1.25, 1.5])
    extra_spread: float = 0.0005
    min_commission: float = 0.001


@dataclass
class PboConfig:
    enabled: bool = True
    blocks: int = 10


@dataclass
class RobustnessConfig:
    walk_forward: WalkForwardConfig = field(default_factory=WalkForwardConfig)
    lookahead: LookaheadConfig = field(default_factory=LookaheadConfig)
    random_data: RandomDataConfig = field(default_factory=RandomDataConfig)
    monte_carlo: MonteCarloConfig = field(default_factory=MonteCarloConfig)
    regimes: RegimesConfig = field(default_factory=RegimesConfig)
    costs: CostsConfig = field(default_factory=CostsConfig)
    stability: Switch = field(default_factory=Switch)
    pbo: PboConfig = field(default_factory=PboConfig)
    other_datasets: list[str] = field(default_factory=list)


@dataclass
class ResearchConfig:
    loop: LoopConfig = field(default_factory=LoopConfig)
    seed: int = 0
    datasets: list[DatasetRef] = field(default_factory=lambda: [DatasetRef("GOOG")])
    splits: SplitConfig = field(default_factory=SplitConfig)
    strategies: list[StrategyEntry] = field(default_factory=list)
    robustness: RobustnessConfig = field(default_factory=RobustnessConfig)
    thresholds: str | dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


EXAMPLE = ResearchConfig()


def _fail(key: str, msg: str) -> ResearchConfigError:
    return ResearchConfigError(f"{key or 'config'}: {msg}")


def _convert(value: Any, typ: Any, key: str) -> Any:  # noqa: C901 - one branch per type
    origin, args = get_origin(typ), get_args(typ)
    if origin is type(None) or typ is type(None):
        if value is not None:
            raise _fail(key, f"expected nothing, got {value!r}")
        return None
    if args and type(None) in args and origin is not list and origin is not dict:
        if value is None:
            return None
        rest = [a for a in args if a is not type(None)]
        errors = []
        for a in rest:
            try:
                return _convert(value, a, key)
            except ResearchConfigError as exc:
                errors.append(str(exc))
        raise ResearchConfigError(errors[0] if len(errors) == 1 else
                                  f"{key}: {value!r} is none of the accepted types")
    if is_dataclass(typ):
        return _build(typ, value, key)
    if origin is list:
        if not isinstance(value, list):
            raise _fail(key, f"expected a list, got {type(value).__name__} {value!r}")
        return [_convert(v, args[0], f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _fail(key, f"expected a mapping, got {type(value).__name__} {value!r}")
        return {str(k): _convert(v, args[1], f"{key}.{k}") for k, v in value.items()}
    if typ is Any:
        return value
    if typ is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise _fail(key, f"{value!r} is not a date (write YYYY-MM-DD)") from None
    if typ is bool:
        if not isinstance(value, bool):
            raise _fail(key, f"expected true or false, got {value!r}")
        return value
    if typ in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(key, f"expected a number, got {type(value).__name__} {value!r}")
        if typ is int and not float(value).is_integer():
            raise _fail(key, f"expected a whole number, got {value!r}")
        return typ(value)
    if typ is str:
        if not isinstance(value, str):
            raise _fail(key, f"expected text, got {type(value).__name__} {value!r}")
        return value
    raise _fail(key, f"unsupported type {typ}")  # pragma: no cover - schema bug


def _build(cls: Any, data: Any, key: str) -> Any:
    if not isinstance(data, dict):
        raise _fail(key, f"expected a mapping, got {type(data).__name__} {data!r}")
    hints = get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(map(str, data)) - set(names))
    if unknown:
        where = f"{key}.{unknown[0]}" if key else unknown[0]
        raise _fail(where, f"unknown key; known keys here: {', '.join(names)}")
    kw = {k: _convert(v, hints[k], f"{key}.{k}" if key else k) for k, v in data.items()}
    return cls(**kw)


def _semantics(cfg: ResearchConfig) -> None:
    for i, d in enumerate(cfg.datasets):
        k = f"datasets[{i}]"
        if not d.name:
            raise _fail(f"{k}.name", "a dataset needs a name (GOOG, EURUSD, a file, ...)")
        if d.last_n_days is not None and (d.start or d.end):
            raise _fail(f"{k}.last_n_days", "give start/end or last_n_days, not both")
        if d.last_n_days is not None and d.last_n_days <= 0:
            raise _fail(f"{k}.last_n_days", f"must be > 0, got {d.last_n_days}")
        if d.start and d.end and d.start >= d.end:
            raise _fail(f"{k}.end", f"{d.end} is not after start {d.start}")
    f = cfg.splits.fractions
    if len(f) != 3 or abs(sum(f) - 1) > 1e-9 or min(f) < 0 or f[0] <= 0:
        raise _fail("splits.fractions", f"{f} must be 3 non-negative numbers summing to 1")
    for i, s in enumerate(cfg.strategies):
        if not (s.file or s.idea):
            raise _fail(f"strategies[{i}]", "give a file or an idea")
    wf = cfg.robustness.walk_forward
    if wf.folds < 1:
        raise _fail("robustness.walk_forward.folds", f"must be >= 1, got {wf.folds}")
    if cfg.robustness.pbo.blocks < 2 or cfg.robustness.pbo.blocks % 2:
        raise _fail("robustness.pbo.blocks", "must be an even number >= 2")
    if not 0 < cfg.robustness.monte_carlo.ruin_drawdown < 1:
        raise _fail("robustness.monte_carlo.ruin_drawdown", "must be between 0 and 1")
    if cfg.loop.interval_seconds <= 0:
        raise _fail("loop.interval_seconds", "must be > 0")


def parse_config(data: Any) -> ResearchConfig:
    cfg: ResearchConfig = _build(ResearchConfig, data if data is not None else {}, "")
    _semantics(cfg)
    if isinstance(cfg.thresholds, dict):
        from agents.research.thresholds import ThresholdsError, load_thresholds

        try:
            load_thresholds(overrides=cfg.thresholds)
        except ThresholdsError as exc:
            raise _fail("thresholds", str(exc)) from None
    return cfg


class _Loader(yaml.SafeLoader):
    """Dates stay text, so a bad one is reported with its key (not a YAML crash)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        lambda loader, node: loader.construct_scalar(node))


def parse_config_text(text: str, source: str = "config") -> ResearchConfig:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ResearchConfigError(f"{source} is not valid YAML: {exc}") from exc
    return parse_config(data)


def load_config(path: str | Path) -> ResearchConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResearchConfigError(f"cannot read config {p}: {exc.strerror}") from exc
    return parse_config_text(text, f"config {p}")


def dataset_frame(ref: DatasetRef) -> tuple[str, str, Any]:
    """(name, sha256, frame) of a configured dataset, cut to start/end or last_n_days."""
    import pandas as pd

    from executor import frame_sha256, load_dataset

    ds = load_dataset(ref.name)
    df = ds.df
    if ref.last_n_days is not None:
        df = df[df.index > df.index[-1] - pd.Timedelta(days=ref.last_n_days)]
    if ref.start is not None:
        df = df[df.index >= pd.Timestamp(ref.start)]
    if ref.end is not None:
        df = df[df.index < pd.Timestamp(ref.end) + pd.Timedelta(days=1)]
    if len(df) == 0:
        raise ResearchConfigError(f"dataset {ref.name}: no bars between the configured dates")
    return ds.name, (ds.sha256 if len(df) == len(ds.df) else frame_sha256(df)), df

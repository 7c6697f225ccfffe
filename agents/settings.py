"""One typed ``Settings`` object: defaults < YAML file (--config) < ``RBI_*`` env < CLI flags.

API keys are never fields here: providers read them from the environment themselves.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BeforeValidator,
    Field,
    InstanceOf,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from agents.errors import ConfigError
from agents.research.config import ResearchConfig, parse_config

__all__ = ["LOOP_PRUNE_AFTER", "Settings", "load_settings"]

_CORES = os.cpu_count() or 1
# walk-forward folds before the loop stops a hopeless candidate (mean OOS Sharpe < 0),
# unless the research section sets ``robustness.walk_forward.prune_after`` (null = never)
LOOP_PRUNE_AFTER = 2


def _research_section(value: Any) -> ResearchConfig:
    """The ``research:`` mapping (or JSON text from ``RBI_RESEARCH``) -> ResearchConfig,
    parsed once when the settings are built; the message names a bad key."""
    if isinstance(value, ResearchConfig):
        return value
    raw = json.loads(value) if isinstance(value, str) else (value or {})
    try:
        cfg = parse_config(raw)
    except ConfigError as e:  # e.g. robustness.pbo.blocks: ...
        raise ValueError(str(e)) from None
    wf = ((raw.get("robustness") or {}).get("walk_forward") or {}) if isinstance(raw, dict) else {}
    if "prune_after" not in wf:
        cfg.robustness.walk_forward.prune_after = LOOP_PRUNE_AFTER
    return cfg


def _research_json(cfg: ResearchConfig) -> dict[str, Any]:
    return cfg.to_dict()


def _default_research() -> ResearchConfig:
    return _research_section({})


def _lower(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


def _default_provider() -> str:
    from agents.llm.registry import default_provider_name  # one decision, made there

    return default_provider_name()


class Settings(BaseSettings):
    """Everything the loop can be told. Each ``run`` stores the values it used."""

    model_config = SettingsConfigDict(env_prefix="RBI_", extra="forbid", validate_default=True)

    # where things live
    db: Path = Path("results/rbi.sqlite")
    ideas_dir: Path = Path("data/ideas")
    results_dir: Path = Path("results")
    # what runs
    provider: str = Field(default_factory=_default_provider)
    backend: str = "auto"
    ray_address: str = ""  # --backend ray: the head's host:port; "" = a local Ray instance
    seed: int = 0
    pipeline: str = "agents.stages:PIPELINE"
    datasets: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["GOOG"])
    # runtime
    workers: int = Field(default=_CORES, ge=1, le=256)
    sandbox_concurrency: int = Field(default=_CORES, ge=1, le=256)
    max_attempts: int = Field(default=5, ge=1)
    lease_seconds: float = Field(default=60.0, gt=0)
    retry_base_seconds: float = Field(default=2.0, ge=0)
    retry_max_seconds: float = Field(default=300.0, ge=0)
    poll_interval: float = Field(default=1.0, gt=0)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    busy_timeout_ms: int = Field(default=5000, ge=0)
    lock_stale_seconds: float = Field(default=30.0, gt=0)
    # LLM budget (0 = unlimited)
    daily_token_budget: int = Field(default=2_000_000, ge=0)
    daily_cost_budget: float = Field(default=5.0, ge=0)
    # review gates: a trade's edge is its expectancy, not its win rate (a trend follower
    # winning 30 % of its trades with winners 3x its losers makes money)
    review_min_expectancy: float = 0.0  # mean trade return [%] must be above this
    review_min_profit_factor: float = Field(default=1.1, ge=0)  # gross wins / gross losses
    review_min_win_rate: float = 0.0  # 0 = off (it killed trend followers)
    review_max_drawdown: float = 40.0  # percent; deeper passes at <= review_max_drawdown_vs_hold
    review_max_drawdown_vs_hold: float = Field(default=0.75, ge=0)  # x buy-and-hold's drawdown
    review_min_sharpe: float = -0.5
    review_min_trades: int = 10  # independent bets (a trade held L bars: ceil(L / 21))...
    review_min_trades_floor: int = 3  # ...and at least this many whole trades
    # debug / optimise
    debug_max_attempts: int = Field(default=3, ge=0)
    optimise_max_iterations: int = Field(default=10, ge=0)
    optimise_min_improvement: float = Field(default=0.05, ge=0)
    optimise_trials: int = Field(default=24, ge=2)  # parameter sets per search round
    # paper trading after promotion: the execution model its fills use (never "perfect"
    # for a verdict); paper_after_promote=false ends the loop at promotion
    paper_after_promote: bool = True
    paper_model: str = "default"
    # execution model per dataset for research backtests: {dataset: preset
    # name or model fields}, "*" for the rest; {} = "default" (0.15 % fee + 5 bps
    # slippage). Never "perfect" (that is the parity check's comparison, not a result).
    # e.g. {"*": "default", "BTC-USD": {"preset": "crypto", "fees": {"kind": "maker_taker",
    # "maker": 0.0002, "taker": 0.001}}, "GOOG": "equities"}
    execution: dict[str, Any] = Field(default_factory=dict)
    # the research loop: the ``research:`` section of the --config file (datasets,
    # splits, robustness switches, thresholds, loop interval, configured strategies),
    # parsed once by agents.research.config.parse_config; {} = the library's defaults
    research: Annotated[
        InstanceOf[ResearchConfig], BeforeValidator(_research_section),
        PlainSerializer(_research_json),
    ] = Field(default_factory=_default_research)
    # the watched idea folder (agents.inbox): a file is complete when its size and mtime
    # held still this long; "poll" suits network and bind mounts (no filesystem events)
    ideas_max_bytes: int = Field(default=1_000_000, ge=1)
    ideas_settle_seconds: float = Field(default=1.0, ge=0)
    ideas_watch: Annotated[Literal["auto", "poll", "events"], BeforeValidator(_lower)] = "auto"
    # the dataset a script's hard-coded data path maps to when no CSV of that name was
    # dropped beside it; "" = the first of ``datasets``
    byo_dataset: str = ""
    # logging
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    @field_validator("datasets", mode="before")
    @classmethod
    def _split_datasets(cls, v: Any) -> Any:
        if isinstance(v, str):
            s = v.strip()
            if s.startswith("["):
                return json.loads(s)
            return [p.strip() for p in s.split(",") if p.strip()]
        return v

    @field_validator("execution", mode="after")
    @classmethod
    def _check_execution(cls, v: dict[str, Any]) -> dict[str, Any]:
        from executor import model_from

        for dataset, spec in v.items():
            try:
                model = model_from(spec)
            except (TypeError, ValueError) as e:
                raise ValueError(f"execution.{dataset}: {e}") from None
            if model.perfect:
                raise ValueError(f"execution.{dataset}: perfect fills are for the parity check "
                                 "only; research results pay costs (use 'default' or a model)")
        return v

    def execution_model(self, dataset: str) -> Any:
        """The execution model research runs on ``dataset`` use (``executor.execution``)."""
        from executor import model_from

        spec = self.execution.get(dataset, self.execution.get("*"))
        return model_from(spec)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.datasets:
            raise ValueError("datasets must name at least one dataset, e.g. GOOG")
        return self

    @property
    def inbox_dataset(self) -> str:
        """Where a script's hard-coded data path goes when nothing better is found."""
        return self.byo_dataset or self.datasets[0]

    @property
    def log_file(self) -> Path:
        """Next to the database, so ``--db elsewhere`` keeps its log with it."""
        return self.db.parent / "logs" / "rbi.log"

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe values (no secrets are fields, so this is safe to store)."""
        return self.model_dump(mode="json")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # CLI flags (init) beat env, env beats the YAML file, which is passed as
        # ``_yaml`` through :func:`load_settings` and applied by a wrapper source.
        return (init_settings, env_settings, _YamlSource(settings_cls))


class _YamlSource(PydanticBaseSettingsSource):
    data: dict[str, Any] = {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_YamlSource.data)


class _Loader(yaml.SafeLoader):
    """Dates stay text: a bad one (2012-13-01) is reported with its key, not a crash."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        lambda loader, node: loader.construct_scalar(node))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}  # noqa: S506
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {path} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of setting: value")
    known = set(Settings.model_fields)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return data


def load_settings(config: Path | str | None = None, **overrides: Any) -> Settings:
    """Build Settings; ``overrides`` (CLI flags) that are None are ignored."""
    flags = {k: v for k, v in overrides.items() if v is not None}
    _YamlSource.data = _read_yaml(Path(config)) if config else {}
    try:
        return Settings(**flags)
    except ValidationError as e:
        parts = []
        for err in e.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            parts.append(f"{loc}: {err['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(parts)) from None
    finally:
        _YamlSource.data = {}

"""Load and validate the kill thresholds (``thresholds.yaml``, defaults shipped).

``load_thresholds(path=None, overrides=None)``: the shipped defaults, then the user's
file, then ``overrides`` (a dict of the same shape), each merged key by key. Errors are
:class:`ThresholdsError` naming the key (``kill.min_dsr: expected a number, got 'x'``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from executor.errors import ConfigError

__all__ = ["DEFAULT_PATH", "SCORE_COMPONENTS", "Thresholds", "ThresholdsError", "load_thresholds"]

DEFAULT_PATH = Path(__file__).with_name("thresholds.yaml")
SCORE_COMPONENTS = ("dsr", "oos_efficiency", "calmar", "stability", "ruin", "trades")
EVIDENCE_KEYS = ("lookahead", "dsr", "oos_efficiency", "walk_forward", "pbo", "reality_check",
                 "random_data", "alpha", "holdout", "monte_carlo", "stability", "costs",
                 "other_datasets", "trades")

_FRACTION = (float, 0.0, 1.0)
_NUMBER = (float, None, None)
SCHEMA: dict[str, dict[str, Any]] = {
    "kill": {"lookahead": (bool, None, None), "min_dsr": _FRACTION, "min_wf_psr": _FRACTION,
             "max_pbo": _FRACTION, "max_pbo_oos_loss": _FRACTION, "random_data_alpha": _FRACTION,
             "max_reality_check_p": _FRACTION, "min_alpha_psr": _FRACTION,
             "min_holdout_psr": _FRACTION},
    "needs_work": {"min_trades": (int, 0, None), "min_trades_floor": (int, 0, None),
                   "bet_bars": (int, 1, None), "max_drawdown_pct": (float, 0.0, 100.0),
                   "max_drawdown_vs_hold": _FRACTION,
                   "max_prob_ruin": _FRACTION, "min_stability_median": _NUMBER,
                   "min_stability_min": _NUMBER, "max_cost_degradation": _NUMBER,
                   "min_other_datasets_profitable": _FRACTION},
    "approve": {"min_score": (float, 0.0, 100.0), "require": (list, None, None)},
    "score": {"target_trades": (int, 1, None), "weights": (dict, None, None)},
}


class ThresholdsError(ConfigError):
    """A thresholds file or override is invalid; the message names the key."""


@dataclass(frozen=True)
class Thresholds:
    kill: dict[str, Any]
    needs_work: dict[str, Any]
    approve: dict[str, Any]
    score: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"kill": dict(self.kill), "needs_work": dict(self.needs_work),
                "approve": dict(self.approve), "score": copy.deepcopy(self.score)}


def _check_value(key: str, value: Any, spec: tuple[type, Any, Any]) -> Any:
    typ, lo, hi = spec
    if typ is bool:
        if not isinstance(value, bool):
            raise ThresholdsError(f"{key}: expected true or false, got {value!r}")
        return value
    if typ in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ThresholdsError(f"{key}: expected a number, got {value!r}")
        if typ is int and not float(value).is_integer():
            raise ThresholdsError(f"{key}: expected a whole number, got {value!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ThresholdsError(f"{key}: {value} is outside [{lo}, {hi if hi is not None else 'inf'}]")
        return typ(value)
    if not isinstance(value, typ):
        raise ThresholdsError(f"{key}: expected a {typ.__name__}, got {value!r}")
    return value


def _merge(base: dict[str, Any], layer: Any, where: str) -> None:
    if layer is None:
        return
    if not isinstance(layer, dict):
        raise ThresholdsError(f"{where}: expected a mapping of sections, got {type(layer).__name__}")
    for section, values in layer.items():
        if section not in SCHEMA:
            raise ThresholdsError(f"{where}: unknown section {section!r}; known: {sorted(SCHEMA)}")
        if not isinstance(values, dict):
            raise ThresholdsError(f"{section}: expected a mapping, got {values!r}")
        for key, value in values.items():
            if key not in SCHEMA[section]:
                raise ThresholdsError(f"{section}.{key}: unknown key; known: "
                                      f"{sorted(SCHEMA[section])}")
            base.setdefault(section, {})[key] = _check_value(f"{section}.{key}", value,
                                                             SCHEMA[section][key])


def _check_nested(data: dict[str, Any]) -> None:
    for item in data["approve"].get("require", []):
        if item not in EVIDENCE_KEYS:
            raise ThresholdsError(f"approve.require: unknown evidence {item!r}; known: "
                                  f"{list(EVIDENCE_KEYS)}")
    weights = data["score"].get("weights", {})
    for name, w in weights.items():
        if name not in SCORE_COMPONENTS:
            raise ThresholdsError(f"score.weights.{name}: unknown component; known: "
                                  f"{list(SCORE_COMPONENTS)}")
        _check_value(f"score.weights.{name}", w, (float, 0.0, None))
    if not weights or sum(weights.values()) <= 0:
        raise ThresholdsError("score.weights: at least one weight must be > 0")
    for section, keys in SCHEMA.items():
        missing = sorted(set(keys) - set(data.get(section, {})))
        if missing:
            raise ThresholdsError(f"{section}: missing key(s) {missing}")


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdsError(f"cannot read thresholds file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ThresholdsError(f"thresholds file {path} is not valid YAML: {exc}") from exc


def load_thresholds(path: str | Path | None = None,
                    overrides: dict[str, Any] | None = None) -> Thresholds:
    data: dict[str, Any] = {}
    _merge(data, _read(DEFAULT_PATH), str(DEFAULT_PATH))
    if path is not None:
        p = Path(path)
        _merge(data, _read(p), str(p))  # score.weights, when given, replace the whole set
    if overrides:
        _merge(data, overrides, "overrides")
    _check_nested(data)
    return Thresholds(**{k: data[k] for k in SCHEMA})

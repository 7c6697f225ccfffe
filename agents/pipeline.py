"""Stage registry: event type -> handler, imported only when the runtime starts.

A handler is a plain function ``handle(ctx, payload) -> None`` (see
:class:`agents.runtime.context.HandlerContext`). A pipeline maps an event type to
``"module:function"`` or to a :class:`Stage` (which can also name payload keys that
must be present — an event without them is dead-lettered at once, never retried).

The lab's stages are :data:`agents.stages.PIPELINE`, the ``pipeline`` setting's default;
another pipeline can be chosen with ``RBI_PIPELINE=package.module:NAME``. An event whose
type has no handler in the chosen pipeline stays ``ready`` and ``rbi status`` says so.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.errors import ConfigError

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext

__all__ = ["Handler", "Pipeline", "Stage", "load_pipeline"]

Handler = Callable[["HandlerContext", dict[str, Any]], None]


@dataclass(frozen=True)
class Stage:
    """One stage: ``target`` is ``"module:function"``; ``required`` payload keys."""

    target: str
    required: tuple[str, ...] = ()


def _import(target: str) -> Any:
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise ConfigError(f"handler {target!r} must look like 'package.module:function'")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as e:
        raise ConfigError(f"cannot import {module!r} for {target!r}: {e}") from e
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{module!r} has no attribute {attr!r} (from {target!r})") from None
    return obj


@dataclass
class Pipeline:
    """The chosen registry; handlers resolve lazily (first use) and are cached."""

    stages: dict[str, Stage]
    name: str = ""
    _cache: dict[str, Handler] = field(default_factory=dict, repr=False)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(self.stages)

    def handler(self, type: str) -> Handler:
        if type not in self._cache:
            stage = self.stages.get(type)
            if stage is None:
                raise ConfigError(f"no handler for stage {type!r}")
            fn = _import(stage.target)
            if not callable(fn):
                raise ConfigError(f"handler {stage.target!r} is not callable")
            self._cache[type] = fn
        return self._cache[type]

    def resolve_all(self) -> None:
        """Import every handler now (``run`` does this so a typo fails at start)."""
        for t in self.stages:
            self.handler(t)

    def missing_keys(self, type: str, payload: Mapping[str, Any]) -> list[str]:
        stage = self.stages.get(type)
        return [k for k in (stage.required if stage else ()) if k not in payload]


def load_pipeline(spec: str) -> Pipeline:
    """``spec`` = ``"module:NAME"`` naming a mapping of type -> target/Stage."""
    raw = _import(spec)
    if isinstance(raw, Pipeline):
        return raw
    if not isinstance(raw, Mapping):
        raise ConfigError(f"pipeline {spec!r} must be a mapping of event type -> handler")
    stages: dict[str, Stage] = {}
    for t, target in raw.items():
        if isinstance(target, Stage):
            stages[str(t)] = target
        elif isinstance(target, str):
            stages[str(t)] = Stage(target)
        else:
            raise ConfigError(f"pipeline {spec!r}: {t!r} must map to 'module:function' or Stage")
    return Pipeline(stages, name=spec)

"""Typed rows the store hands out: frozen dataclasses built from ``sqlite3.Row``.

JSON columns keep their text (``spec_json``, ``params_json``: compared as text by the
queries that match a run to its version's own parameters) and are decoded by the
``spec``/``params``/``stats`` properties.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Idea", "PrimaryResult", "Strategy", "Version"]


def _object(text: str | None) -> dict[str, Any]:
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Idea:
    id: int
    source: str
    source_path: str | None
    text: str
    content_sha256: str
    status: str
    reason: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> Idea:
        return cls(**{k: r[k] for k in r.keys()})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Strategy:
    id: int
    idea_id: int | None
    name: str
    spec_json: str
    status: str
    reason: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> Strategy:
        return cls(**{k: r[k] for k in r.keys()})

    @property
    def spec(self) -> dict[str, Any]:
        return _object(self.spec_json)


@dataclass(frozen=True)
class Version:
    id: int
    strategy_id: int
    version: int
    parent_id: int | None
    code: str
    code_sha256: str
    spec_json: str
    params_json: str
    agent: str
    llm_call_id: int | None
    note: str | None
    status: str
    created_at: str

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> Version:
        return cls(**{k: r[k] for k in r.keys()})

    @property
    def spec(self) -> dict[str, Any]:
        return _object(self.spec_json)

    @property
    def params(self) -> dict[str, Any]:
        return _object(self.params_json)


@dataclass(frozen=True)
class PrimaryResult:
    """A version's first ok run of its own parameters: where its stats come from."""

    id: int
    dataset: str
    stats_json: str

    @property
    def stats(self) -> dict[str, Any]:
        return _object(self.stats_json)

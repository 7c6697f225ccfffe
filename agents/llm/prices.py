"""USD per million tokens (input, output) per model; longest matching prefix wins, so
dated ids (``claude-sonnet-4-5-20250929``) find their family. Unknown -> 0, warned once."""

from __future__ import annotations

import logging
from collections.abc import Mapping

log = logging.getLogger(__name__)

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-3-haiku": (0.25, 1.25),
    "gpt-5-nano": (0.05, 0.4),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-5": (1.25, 10.0),
    "gpt-4.1-nano": (0.1, 0.4),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4o": (2.5, 10.0),
    "o4-mini": (1.1, 4.4),
    "o3": (2.0, 8.0),
    "offline": (0.0, 0.0),
}


class PriceTable:
    def __init__(self, prices: Mapping[str, tuple[float, float] | list[float]] | None = None,
                 *, include_defaults: bool = True) -> None:
        self.prices: dict[str, tuple[float, float]] = dict(DEFAULT_PRICES) if include_defaults else {}
        for k, v in (prices or {}).items():
            self.prices[k] = (float(v[0]), float(v[1]))
        self._warned: set[str] = set()

    def lookup(self, model: str) -> tuple[float, float] | None:
        best = max((k for k in self.prices if model.startswith(k)), key=len, default=None)
        return self.prices[best] if best is not None else None

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float:
        price = self.lookup(model)
        if price is None:
            if model not in self._warned:
                self._warned.add(model)
                log.warning("no price for model %r: its calls are costed at $0 "
                            "(add it to the llm price table in settings)", model)
            return 0.0
        return (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000

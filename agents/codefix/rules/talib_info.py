"""What talib functions take, read from talib's own metadata."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=256)
def input_names(func: str) -> tuple[str, ...] | None:
    """Price inputs of ``talib.<func>`` in order (e.g. ATR -> high, low, close); None if
    talib has no such function."""
    try:
        import talib.abstract as abstract

        info = abstract.Function(func.upper()).info
    except Exception:  # noqa: BLE001 - unknown function name or talib missing
        return None
    out: list[str] = []
    for value in info["input_names"].values():
        out.extend([value] if isinstance(value, str) else value)
    return tuple(out)

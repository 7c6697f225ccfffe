"""talib_kwargs: keyword names talib does not take -> the ones it does.

LLMs write ``talib.RSI(close, period=14)`` or ``self.I(talib.SMA, close, length=20)``
(pandas_ta / ta spellings); talib raises ``TypeError: unexpected keyword``. The names
each function takes are read from talib's own metadata
(``talib.abstract.Function(name).parameters``).
"""

from __future__ import annotations

from functools import lru_cache

from agents.codefix.rules.talib_dtype import talib_aliases
from agents.codefix.rules.talib_info import talib_calls
from agents.codefix.source import Edit, Source
from agents.codefix.types import Change

PERIOD_WORDS = {"period", "length", "window", "n", "lookback", "len", "time_period",
                "periods", "span"}
SELF_I_KW = {"name", "plot", "overlay", "color", "scatter"}


@lru_cache(maxsize=256)
def talib_parameters(func: str) -> tuple[str, ...] | None:
    """Keyword parameters of ``talib.<func>`` (RSI -> ('timeperiod',)); None if unknown."""
    try:
        import talib.abstract as abstract  # type: ignore[import-untyped]

        return tuple(abstract.Function(func.upper()).parameters)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - unknown function name or talib missing
        return None


def talib_keyword(given: str, params: tuple[str, ...]) -> str | None:
    """The talib parameter ``given`` means: ``period`` -> ``timeperiod``,
    ``fast_period``/``fast`` -> ``fastperiod``; None when there is no clear match."""
    norm = given.replace("_", "").lower()
    by_norm = {p.replace("_", ""): p for p in params}
    if norm in by_norm:
        return by_norm[norm]
    if norm + "period" in by_norm:
        return by_norm[norm + "period"]
    if given.lower() in PERIOD_WORDS and "timeperiod" in params:
        return "timeperiod"
    return None


def talib_keywords(src: Source) -> tuple[list[Edit], list[Change]]:
    aliases = talib_aliases(src.tree)
    edits: list[Edit] = []
    changes: list[Change] = []
    for node, func, _ in talib_calls(src.tree, aliases):
        params = talib_parameters(func)
        if not params:
            continue
        given = {k.arg for k in node.keywords if k.arg}
        for kw in node.keywords:
            if kw.arg is None or kw.arg in params or kw.arg in SELF_I_KW:
                continue
            new = talib_keyword(kw.arg, params)
            if new is None or new in given:
                continue
            start, _ = src.span(kw)
            edits.append(Edit(start, start + len(kw.arg.encode()), new))
            changes.append(Change("talib-keyword", node.lineno,
                                  f"talib.{func}({kw.arg}=...) -> {new}=... "
                                  f"(talib.{func} takes {', '.join(params)})"))
            given.add(new)
    return edits, changes

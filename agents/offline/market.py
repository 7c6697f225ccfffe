"""Where and on what bars an idea trades: the datasets and the timeframe it names.

Built-in datasets by name or alias ("google", "eur/usd", "bitcoin"), files in the data
folder (``RBI_DATA_DIR`` or ./data) by their stem, and bar sizes ("4h", "15-minute bars",
"weekly chart"). A ticker the idea names that is not available is reported, not guessed.
"""

from __future__ import annotations

import re

from agents.offline.words import normalise_words
from executor import default_data_dir

DATASETS = {"GOOG": r"\bgoog\w*|google|alphabet",
            "EURUSD": r"eur\s*/?\s*usd|\beuro\b|forex|\bfx\b",
            "BTCUSD": r"btc|bitcoin|crypto"}
NOT_TICKERS = {"RSI", "MACD", "ATR", "SMA", "EMA", "CCI", "DMI", "ADX", "ROC", "MOM", "MA", "BB",
               "DI", "TP", "SL", "ETF", "FX", "USD", "EUR", "BTC", "GOOG", "EURUSD", "BTCUSD",
               "THE", "AND", "OR", "ON", "IN", "AT", "A", "AN", "MY", "ALL", "ANY", "ONLY", "VWAP"}


def datasets_for(text: str) -> list[str]:
    """Built-in datasets by name or alias, and files in the data folder named by stem."""
    t = text.lower()
    found = [name for name, pat in DATASETS.items() if re.search(pat, t)]
    for stem in _data_files():
        if stem.upper() not in found and re.search(rf"(?<![\w-]){re.escape(stem.lower())}"
                                                   r"(?![\w-])", t):
            found.append(stem)
    return found or ["GOOG"]


def _data_files() -> list[str]:
    folder = default_data_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir()
                  if p.suffix.lower() in (".csv", ".parquet", ".pq") and len(p.stem) >= 3)


def timeframe_for(text: str) -> str:
    """The bar size an idea names ("4h", "15-minute bars", "weekly chart"), else 1d."""
    t = normalise_words(text)
    if m := re.search(r"\b([mhdw])(\d+)\b", t):  # forex notation: M15, H4, D1, W1
        unit = m[1] if m[1] != "w" else "w"
        return f"{int(m[2])}{unit}"
    if m := re.search(r"\b(\d+)\s*[- ]?(m|mins?|minutes?|h|hrs?|hours?)\b", t):
        return f"{int(m[1])}{'m' if m[2].startswith('m') else 'h'}"
    if m := re.search(r"\b(\d+)[- ]?(day|week|month)s?\s+(?:chart|bars|candles|timeframe)", t):
        return f"{int(m[1])}{ {'day': 'd', 'week': 'w', 'month': 'mo'}[m[2]] }"
    words = {"hourly": "1h", "hour": "1h", "daily": "1d", "day": "1d", "weekly": "1w",
             "week": "1w", "monthly": "1mo", "month": "1mo"}
    if m := re.search(r"\b(hourly|daily|weekly|monthly)\b"
                      r"|\b(hour|day|week|month)\s+(?:chart|bars|candles|timeframe)", t):
        return words[m[1] or m[2]]
    return "1d"


def missing_datasets(text: str) -> list[str]:
    """Tickers the idea trades on ("on SPY", "trade $AAPL") that no dataset provides."""
    named = re.findall(r"\b(?:on|in|trade|trading|for|of)\s+\$?([A-Z]{2,6})\b", text)
    have = {d.lower() for d in datasets_for(text)} | {s.lower() for s in _data_files()}
    return sorted({n for n in named if n not in NOT_TICKERS and n.lower() not in have})

"""Bar feeds for paper sessions: where closed bars come from.

A feed is anything with ``name`` and ``bars(after_ts, stop)``: an iterator of closed bars
``[ts_ns, open, high, low, close, volume]`` in time order, newer than ``after_ts`` (a
resumed session skips what it already booked), that ends when the source is exhausted
or ``stop()`` returns True. Implement it for a live source; three come with rbi:

* :class:`ReplayFeed` — a DataFrame's bars, time-accelerated (``speed`` bars per second,
  0 = as fast as the session goes);
* :class:`CsvFeed` — a CSV file that grows: each new complete row is a new bar;
* :class:`PollingFeed` — polls ``fetch(since_ts) -> [[ts_ms, o, h, l, c, v], ...]``, the
  shape of ccxt's ``fetch_ohlcv``; :func:`ccxt_feed` builds one on an exchange (ccxt is
  an optional extra) and :func:`http_json_feed` on any URL answering that JSON. The
  newest candle of a poll is still forming and is held back until a newer one arrives.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from executor.harness.growing import bar_row

__all__ = ["CsvFeed", "Feed", "PollingFeed", "ReplayFeed", "ccxt_feed", "http_json_feed"]

Stop = Callable[[], bool]


def _never() -> bool:
    return False


class Feed(Protocol):
    name: str

    def bars(self, after_ts: int | None = None, stop: Stop = _never) -> Iterator[list[Any]]: ...


def _wait(seconds: float, stop: Stop) -> bool:
    """Sleep up to ``seconds`` in short steps; True if asked to stop meanwhile."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if stop():
            return True
        time.sleep(min(0.2, max(end - time.monotonic(), 0)))
    return stop()


class ReplayFeed:
    def __init__(self, df: pd.DataFrame, *, speed: float = 0.0, name: str = "replay") -> None:
        self.df = df
        self.speed = float(speed)
        self.name = name

    def bars(self, after_ts: int | None = None, stop: Stop = _never) -> Iterator[list[Any]]:
        for ts, row in self.df.iterrows():
            value = pd.Timestamp(ts).value
            if after_ts is not None and value <= after_ts:
                continue
            if stop():
                return
            yield bar_row(value, row)
            if self.speed > 0 and _wait(1.0 / self.speed, stop):
                return


def _parse_ts(text: str) -> int:
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        return pd.Timestamp(text).value
    # epoch seconds or milliseconds
    return int(number * (1e6 if number > 1e11 else 1e9))


class CsvFeed:
    """Rows appended to ``path`` (header ``Date,Open,High,Low,Close[,Volume]``, any case,
    spaces stripped) become bars; checks every ``poll_s`` seconds; ``idle_s`` without a new
    row ends the feed (None: wait for ever)."""

    def __init__(self, path: str | Path, *, poll_s: float = 1.0, idle_s: float | None = None) -> None:
        self.path = Path(path)
        self.poll_s = poll_s
        self.idle_s = idle_s
        self.name = f"csv:{self.path}"

    def bars(self, after_ts: int | None = None, stop: Stop = _never) -> Iterator[list[Any]]:
        offset, header, last = 0, None, after_ts
        idle_since = time.monotonic()
        while not stop():
            rows, offset, header = self._read_new(offset, header)
            for row in rows:
                if last is None or row[0] > last:
                    last = row[0]
                    idle_since = time.monotonic()
                    yield row
            if self.idle_s is not None and time.monotonic() - idle_since > self.idle_s:
                return
            if _wait(self.poll_s, stop):
                return

    def _read_new(self, offset: int, header: list[str] | None
                  ) -> tuple[list[list[Any]], int, list[str] | None]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(offset)
                chunk = fh.read()
        except FileNotFoundError:
            return [], offset, header
        end = chunk.rfind(b"\n")
        if end < 0:
            return [], offset, header  # no complete line yet
        text = chunk[:end + 1].decode("utf-8", "replace")
        rows: list[list[Any]] = []
        for fields in csv.reader(io.StringIO(text)):
            cells = [f.strip() for f in fields]
            if not any(cells):
                continue
            if header is None:
                header = [c.lower() for c in cells]
                continue
            rows.append(self._bar(header, cells))
        return rows, offset + end + 1, header

    def _bar(self, header: list[str], cells: list[str]) -> list[Any]:
        col = {name: i for i, name in enumerate(header)}
        t = col.get("date", col.get("datetime", col.get("time", col.get("timestamp", 0))))

        def num(name: str) -> float | None:
            i = col.get(name)
            if i is None or i >= len(cells) or cells[i] == "":
                return None
            return float(cells[i])

        ohlc = [num(k) for k in ("open", "high", "low", "close")]
        if any(v is None or not math.isfinite(v) for v in ohlc):
            raise ValueError(f"{self.path}: a row without open/high/low/close: {cells}")
        return [_parse_ts(cells[t]), *ohlc, num("volume")]


class PollingFeed:
    """Closed candles from ``fetch(since_ts_ms)`` every ``poll_s`` seconds (ccxt shape)."""

    def __init__(self, fetch: Callable[[int | None], list[list[Any]]], *, poll_s: float = 5.0,
                 name: str = "poll", idle_s: float | None = None) -> None:
        self.fetch = fetch
        self.poll_s = poll_s
        self.name = name
        self.idle_s = idle_s

    def bars(self, after_ts: int | None = None, stop: Stop = _never) -> Iterator[list[Any]]:
        last = after_ts
        pending: list[Any] | None = None  # the newest candle: may still be forming
        idle_since = time.monotonic()
        while not stop():
            since_ms = None if last is None else last // 1_000_000
            for raw in sorted(self.fetch(since_ms) or [], key=lambda r: r[0]):
                ts = int(raw[0]) * 1_000_000
                bar = [ts, *(float(v) for v in raw[1:5]),
                       None if len(raw) < 6 or raw[5] is None else float(raw[5])]
                if last is not None and ts <= last:
                    continue
                if pending is not None and ts > int(pending[0]):
                    last = int(pending[0])
                    idle_since = time.monotonic()
                    yield pending
                if pending is None or ts >= int(pending[0]):
                    pending = bar
            if self.idle_s is not None and time.monotonic() - idle_since > self.idle_s:
                return
            if _wait(self.poll_s, stop):
                return


def http_json_feed(url: str, *, poll_s: float = 5.0, timeout_s: float = 10.0,
                   idle_s: float | None = None) -> PollingFeed:
    """Poll ``url?since=<ms>`` for a JSON list of ``[ts_ms, o, h, l, c, v]``."""

    def fetch(since: int | None) -> list[list[Any]]:
        full = url if since is None else f"{url}{'&' if '?' in url else '?'}since={since}"
        with urllib.request.urlopen(full, timeout=timeout_s) as resp:  # noqa: S310 - user-given
            return list(json.loads(resp.read()))

    return PollingFeed(fetch, poll_s=poll_s, name=f"http:{url}", idle_s=idle_s)


def ccxt_feed(exchange: Any, symbol: str, timeframe: str = "1m", *, poll_s: float = 10.0
              ) -> PollingFeed:
    """A feed on a ccxt exchange object (``pip install ccxt``; not needed otherwise)."""
    def fetch(since: int | None) -> list[list[Any]]:
        return list(exchange.fetch_ohlcv(symbol, timeframe=timeframe, since=since))

    return PollingFeed(fetch, poll_s=poll_s, name=f"ccxt:{getattr(exchange, 'id', '?')}:{symbol}")

"""Named datasets -> normalised OHLCV DataFrames with a content hash.

A reference is, in the order tried:

* ``synthetic:<bars>[:<freq>[:<seed>]]``  seeded random walk (:mod:`executor.synthetic`);
* a path to a ``.csv``/``.parquet`` file;
* ``GOOG``, ``EURUSD``, ``BTCUSD`` (any case): the series inside the installed
  ``backtesting`` package (``backtesting.test``), never copied;
* a file name in the data directory (``RBI_DATA_DIR`` or ``./data``), extension optional.

Files are normalised: column names stripped and case-folded to Open/High/Low/Close/Volume,
a datetime index from a date column, the first column or epoch numbers, sorted, duplicate
timestamps dropped (last kept). Anything else raises :class:`DatasetError` with the fix.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from executor.errors import DatasetError
from executor.harness.protocol import frame_sha256

BUILTINS = ("GOOG", "EURUSD", "BTCUSD")
MAX_SYNTHETIC_BARS = 50_000_000  # ~2 GB of float64 columns
PRICE_COLUMNS = ("Open", "High", "Low", "Close")
SUFFIXES = (".csv", ".parquet", ".pq")
DATE_NAMES = ("datetime", "date", "time", "timestamp", "gmttime", "utctime", "localtime")
_SYNTH_RE = re.compile(r"(?i:synthetic):(?P<bars>[\d_]+)(?::(?P<freq>[^:]+))?(?::(?P<seed>-?\d+))?")


@dataclass(frozen=True)
class Dataset:
    name: str
    df: pd.DataFrame = field(compare=False, repr=False)
    sha256: str
    source: str  # "builtin" | "file" | "synthetic"
    timeframe: str  # "1m", "1h", "1d", "1mo", ... or "irregular"

    @property
    def bars(self) -> int:
        return len(self.df)


def default_data_dir() -> Path:
    return Path(os.environ.get("RBI_DATA_DIR") or "data")


def load_dataset(ref: str, data_dir: str | Path | None = None) -> Dataset:
    """Resolve ``ref`` (see module doc) to a :class:`Dataset`; a fresh frame every call."""
    ref = ref.strip()
    if not ref:
        raise DatasetError("empty dataset name; try GOOG, or see `list_datasets()`")
    if ref.lower().startswith("synthetic:"):
        return _synthetic(ref)
    path = Path(ref).expanduser()
    is_path = os.sep in ref or "/" in ref
    if (is_path or path.suffix.lower() in SUFFIXES) and path.is_file():
        return _file_dataset(path)
    if is_path:
        raise DatasetError(f"data file not found: {ref}. {_available_hint(data_dir)}")
    if ref.upper() in BUILTINS:
        name, df, sha = _builtin(ref.upper())
        return Dataset(name, df.copy(), sha, "builtin", infer_timeframe(df.index))
    found = _find_in_dir(ref, Path(data_dir) if data_dir is not None else default_data_dir())
    if found is None:
        raise DatasetError(f"unknown dataset {ref!r}. {_available_hint(data_dir)}")
    return _file_dataset(found)


def list_datasets(data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Built-ins and data-directory files: name, source, bars, start, end, timeframe.

    Cheap: built-ins come from the in-process cache; files are summarised from their
    first rows, last rows and line count (no hashing). A broken file gets an ``error``.
    """
    out: list[dict[str, Any]] = []
    for name in BUILTINS:
        _, df, _ = _builtin(name)
        out.append(_summary(name, "builtin", len(df), df.index))
    for path in _dir_files(Path(data_dir) if data_dir is not None else default_data_dir()):
        try:
            out.append(_file_summary(path))
        except DatasetError as exc:
            out.append({"name": path.stem, "source": "file", "bars": None, "start": None,
                        "end": None, "timeframe": None, "error": str(exc)})
    return out


def infer_timeframe(index: pd.Index) -> str:
    """The bar spacing as ``"1m"``/``"15m"``/``"1h"``/``"1d"``/``"1w"``/``"1mo"`` or ``"irregular"``."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return "irregular"
    diffs = np.diff(index.asi8[:100_001]) // 1_000_000_000
    diffs = diffs[diffs > 0]
    if len(diffs) == 0:
        return "irregular"
    if 28 * 86400 <= np.median(diffs) <= 31 * 86400:
        return "1mo"
    values, counts = np.unique(diffs, return_counts=True)
    step = int(values[counts.argmax()])
    if counts.max() < 0.5 * len(diffs):
        return "irregular"
    for unit, secs in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if step % secs == 0:
            return f"{step // secs}{unit}"
    return "irregular"  # pragma: no cover - step is a whole number of seconds


# --- resolution ---------------------------------------------------------------------


@functools.cache
def _builtin(name: str) -> tuple[str, pd.DataFrame, str]:
    """Read the CSV that ``backtesting.test`` ships, exactly as that module reads it.

    Located with ``find_spec`` so importing backtesting (and bokeh, ~1 s) is not needed;
    falls back to ``backtesting.test.<name>`` when the file is not on disk (zipped install).
    """
    spec = importlib.util.find_spec("backtesting")
    if spec is None:
        raise DatasetError("the backtesting package is not installed: pip install backtesting")
    for location in spec.submodule_search_locations or []:
        csv = Path(location) / "test" / f"{name}.csv"
        if csv.is_file():
            df = pd.read_csv(csv, index_col=0, parse_dates=True)
            break
    else:
        import backtesting.test as bt_test

        df = getattr(bt_test, name)
    return name, df, frame_sha256(df)


def _synthetic(ref: str) -> Dataset:
    from executor.synthetic import normalise_freq, synthetic_ohlcv

    m = _SYNTH_RE.fullmatch(ref.strip())
    if not m:
        raise DatasetError(
            f"bad synthetic spec {ref!r}: write synthetic:<bars>[:<freq>[:<seed>]], "
            "e.g. synthetic:1000000:1min:42"
        )
    bars = int(m["bars"])
    try:
        freq = normalise_freq(m["freq"] or "1min")
    except ValueError:
        raise DatasetError(
            f"unknown bar frequency {m['freq']!r} in {ref!r}: use e.g. 1min, 5min, 1h, 1d"
        ) from None
    seed = int(m["seed"] or 0)
    if not 1 <= bars <= MAX_SYNTHETIC_BARS:
        raise DatasetError(
            f"synthetic dataset needs 1 to {MAX_SYNTHETIC_BARS:,} bars, got {bars:,}"
        )
    df = synthetic_ohlcv(bars, freq=freq, seed=seed)
    name = f"synthetic:{bars}:{freq}:{seed}"
    return Dataset(name, df, frame_sha256(df), "synthetic", infer_timeframe(df.index))


def _dir_files(data_dir: Path) -> list[Path]:
    if not data_dir.is_dir():
        return []
    return sorted(p for p in data_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def _find_in_dir(ref: str, data_dir: Path) -> Path | None:
    files = _dir_files(data_dir)
    for p in files:  # exact file name first, then the name without extension
        if p.name == ref:
            return p
    for p in files:
        if p.name.lower() == ref.lower() or p.stem.lower() == ref.lower():
            return p
    return None


def _available_hint(data_dir: str | Path | None) -> str:
    ddir = Path(data_dir) if data_dir is not None else default_data_dir()
    names = list(BUILTINS) + [p.name for p in _dir_files(ddir)]
    return (
        f"Available: {', '.join(names)} (files looked up in {ddir}/), a path to a .csv or "
        ".parquet file, or synthetic:<bars>[:<freq>[:<seed>]]."
    )


def _file_dataset(path: Path) -> Dataset:
    df = normalise_ohlcv(_read_file(path), source=str(path))
    return Dataset(path.stem, df, frame_sha256(df), "file", infer_timeframe(df.index))


def _read_file(path: Path, nrows: int | None = None) -> pd.DataFrame:
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise DatasetError(
                f"cannot read {path}: pandas needs a Parquet engine. Run `pip install "
                "pyarrow` (or fastparquet), or save the data as CSV."
            ) from None
        except Exception as exc:  # any engine error means a bad file
            raise DatasetError(f"cannot read Parquet file {path}: {exc}") from None
    try:
        return pd.read_csv(path, skipinitialspace=True, index_col=False, nrows=nrows)
    except pd.errors.EmptyDataError:
        raise DatasetError(
            f"{path} is empty: it needs a header row (Date,Open,High,Low,Close[,Volume]) "
            "and at least one data row"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(
            f"{path} is not a readable CSV ({exc}); save it as comma-separated UTF-8 text"
        ) from None


def _file_summary(path: Path) -> dict[str, Any]:
    if path.suffix.lower() != ".csv":
        df = normalise_ohlcv(_read_file(path), source=str(path))
        return _summary(path.stem, "file", len(df), df.index)
    head = normalise_ohlcv(_read_file(path, nrows=200), source=str(path))
    lines = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk
        size = fh.tell()
        fh.seek(max(0, size - 32768))
        tail_text = fh.read().decode("utf-8", "replace")
    lines += 0 if last.endswith(b"\n") else 1
    rows = [r for r in tail_text.splitlines()[1:] if r.strip()][-100:]
    names = list(_read_file(path, nrows=0).columns)
    tail = pd.read_csv(io.StringIO("\n".join(rows)), header=None, names=names,
                       skipinitialspace=True, index_col=False)
    index = head.index.append(normalise_ohlcv(tail, source=str(path)).index).sort_values()
    summary = _summary(path.stem, "file", lines - 1, head.index)
    summary["start"], summary["end"] = index[0].isoformat(), index[-1].isoformat()
    return summary


def _summary(name: str, source: str, bars: int, index: pd.Index) -> dict[str, Any]:
    return {
        "name": name,
        "source": source,
        "bars": int(bars),
        "start": index[0].isoformat() if len(index) else None,
        "end": index[-1].isoformat() if len(index) else None,
        "timeframe": infer_timeframe(index),
    }



# --- normalisation ------------------------------------------------------------------

_ALIASES = {"open": "Open", "o": "Open", "high": "High", "h": "High", "low": "Low", "l": "Low",
            "close": "Close", "c": "Close", "volume": "Volume", "vol": "Volume", "v": "Volume"}


def _key(name: Any) -> str:
    return re.sub(r"[\s_\-.]", "", str(name).lower())


def _where(i: int, source: str) -> str:
    line = f", line {i + 2} of the file" if source.lower().endswith(".csv") else ""
    return f"data row {i + 1}{line}"


def normalise_ohlcv(raw: pd.DataFrame, source: str = "<frame>") -> pd.DataFrame:
    """Messy OHLCV table -> float Open/High/Low/Close[/Volume] on a sorted DatetimeIndex."""
    raw = raw.copy()
    raw.columns = [str(c).strip() for c in raw.columns]
    unnamed = [c for c in raw.columns if c.startswith("Unnamed:") and raw[c].isna().all()]
    raw = raw.drop(columns=unnamed).dropna(how="all")
    if raw.empty or len(raw.columns) == 0:
        raise DatasetError(f"{source} has no data rows: it needs a header "
                           "(Date,Open,High,Low,Close[,Volume]) and at least one row")
    cols: dict[str, str] = {}
    for c in raw.columns:
        canon = _ALIASES.get(_key(c))
        if canon and canon not in cols:
            cols[canon] = c
    missing = [c for c in PRICE_COLUMNS if c not in cols]
    if missing:
        raise DatasetError(
            f"{source} lacks price column(s) {', '.join(missing)}; found columns "
            f"{list(raw.columns)}. Name them Open, High, Low, Close (any case; Volume optional)."
        )
    index = _date_index(raw, source)
    out = {}
    for canon in (*PRICE_COLUMNS, "Volume"):
        if canon in cols:
            out[canon] = _numeric(raw[cols[canon]], canon, source)
    df = pd.DataFrame(out)
    df.index = index.rename(None)
    gaps = df[list(PRICE_COLUMNS)].isna().any(axis=1).to_numpy()
    if gaps.any():
        i = int(gaps.argmax())
        raise DatasetError(
            f"{source} has {int(gaps.sum())} row(s) with a missing price, first at "
            f"{_where(int(raw.index[i]), source)}; fill or delete those rows"
        )
    df = df.iloc[np.argsort(df.index.asi8, kind="stable")]
    return df[~df.index.duplicated(keep="last")]


def _numeric(col: pd.Series, name: str, source: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.astype("float64")
    num = pd.to_numeric(col, errors="coerce")
    text = col.astype(str).str.strip()
    bad = (num.isna() & col.notna() & (text != "")).to_numpy()
    _reject_first(bad, col, f"column {name} ({col.name!r} in {source}) is not numeric", source,
                  "prices must be plain numbers like 101.25 (no currency signs or thousands "
                  "separators)")
    return num.astype("float64")


def _reject_first(bad: np.ndarray, col: pd.Series, problem: str, source: str, fix: str) -> None:
    """Raise naming the first flagged value of ``col`` and its row, when any is flagged."""
    if bad.any():
        i = int(bad.argmax())
        raise DatasetError(
            f"{problem}: {col.iloc[i]!r} at {_where(int(col.index[i]), source)}; {fix}"
        )


def _date_index(raw: pd.DataFrame, source: str) -> pd.DatetimeIndex:
    if isinstance(raw.index, pd.DatetimeIndex):  # e.g. Parquet written from such a frame
        return _naive_utc(raw.index)
    keys = {_key(c): c for c in raw.columns}
    col: pd.Series | None = None
    if "date" in keys and "time" in keys and "datetime" not in keys:
        col = raw[keys["date"]].astype(str) + " " + raw[keys["time"]].astype(str)
        col.name = f"{keys['date']} + {keys['time']}"
    else:
        for k in DATE_NAMES:
            if k in keys:
                col = raw[keys[k]]
                break
    if col is None and _key(raw.columns[0]) not in _ALIASES:
        col = raw[raw.columns[0]]
    if col is None:
        raise DatasetError(
            f"{source} has no date/time column (looked for Datetime, Date, Time, Timestamp, "
            f"Gmt time, or a first column before the prices); found {list(raw.columns)}. "
            "Add one, e.g. a first column 'Date' with values like 2024-01-31 13:00:00."
        )
    return _parse_dates(col, source)


def _naive_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return pd.DatetimeIndex(index.astype("datetime64[ns]"), name=None)


def _parse_dates(col: pd.Series, source: str) -> pd.DatetimeIndex:
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        mag = float(np.nanmedian(np.abs(col.to_numpy(dtype="float64")))) if col.notna().any() else 0
        unit = next((u for lim, u in ((1e17, "ns"), (1e14, "us"), (1e11, "ms"), (1e8, "s"))
                     if mag >= lim), None)
        if unit is None:
            raise DatasetError(
                f"column {col.name!r} in {source} holds numbers like {str(col.iloc[0])!r}, which "
                "are neither dates nor epoch seconds/milliseconds; add a Date column"
            )
        parsed = pd.to_datetime(col, unit=unit, utc=True, errors="coerce")
    else:
        text = col.astype(str).str.strip()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = _parse_text_dates(text)
    _reject_first(parsed.isna().to_numpy(), col, f"cannot read dates in column {col.name!r} of "
                  f"{source}", source, "write dates like 2024-01-31 13:00:00 (ISO 8601) or "
                  "epoch seconds")
    return _naive_utc(pd.DatetimeIndex(parsed))


def _parse_text_dates(text: pd.Series) -> pd.Series:
    """ISO first; ``dd.mm.yyyy``/``mm/dd/yyyy`` decided by which field exceeds 12."""
    try:
        return pd.to_datetime(text, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        pass
    parts = text.str.extract(r"^(\d{1,2})([./-])(\d{1,2})[./-]\d{4}")
    dayfirst = False
    if parts[0].notna().any():
        first, second = parts[0].astype(float), parts[2].astype(float)
        dayfirst = bool((first > 12).any()) or (
            not (second > 12).any() and parts[1].dropna().iloc[0] == "."
        )
    try:
        return pd.to_datetime(text, utc=True, dayfirst=dayfirst)
    except (ValueError, TypeError):
        return pd.to_datetime(text, utc=True, dayfirst=dayfirst, format="mixed", errors="coerce")

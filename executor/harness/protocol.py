"""Wire format between a sandbox backend (trusted, outside) and the harness (inside).

Request, on the harness's stdin::

    b"RBI1\\n" + <header JSON, one line, utf-8> + b"\\n" + <code bytes> + <data bytes>

``header["code_len"]`` and ``header["data_len"]`` give the two byte counts. The data is
raw arrays written by :func:`encode_frame` (no pickle: the harness never unpickles
anything, and the format does not depend on the pandas version).

Response, on the harness's stdout, which ONLY the trusted harness parent writes (the
strategy runs in a forked child whose fd 1/2 are pipes the parent reads)::

    {"rbi": "result", "index": 0, ...RunResult fields...}\\n     one per parameter set
    {"rbi": "done", "resources": {...}, "timings": {...}}\\n   last line

Everything here is stdlib + numpy/pandas so it runs unchanged in any sandbox image.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import time
from typing import IO, Any

MAGIC = b"RBI1\n"
OHLCV = ("Open", "High", "Low", "Close", "Volume")
MAX_HEADER = 1 << 20

# Phase stamps of this process (``time.monotonic()``: the clock host, zygote, jail and
# container share), reported in the ``done`` record as ``t_<name>``; the benchmarks turn
# them into the per-phase table (see bench/phases.py).
STAMPS: dict[str, float] = {}


def stamp(name: str) -> None:
    STAMPS[f"t_{name}"] = time.monotonic()


FRAME_MAGIC = b"RBF1"
_FRAME_HEAD = struct.Struct("<4sI")  # magic, meta length


def encode_frame(df: Any) -> bytes:
    """Serialise an OHLCV DataFrame: ``RBF1`` + u32 meta length + meta JSON, then the
    int64 ns index and one float64 column after the other, little-endian, raw. Decoding
    is a view per array (no archive to open, no checksum pass): a few hundred
    microseconds where the former ``.npz`` took milliseconds on every run's path."""
    import numpy as np
    import pandas as pd

    idx = df.index
    meta: dict[str, Any] = {"columns": [str(c) for c in df.columns], "index": "range",
                            "rows": len(df)}
    if isinstance(idx, pd.DatetimeIndex):
        meta["index"] = "datetime"
        meta["tz"] = str(idx.tz) if idx.tz is not None else None
        index = idx.tz_localize(None).asi8 if idx.tz else idx.asi8
        meta["index_name"] = idx.name
    else:
        index = np.asarray(idx, dtype="int64")
    parts = [np.ascontiguousarray(index, dtype="<i8").tobytes()]
    parts += [np.ascontiguousarray(df[col].to_numpy(dtype="float64"), dtype="<f8").tobytes()
              for col in df.columns]
    head = json.dumps(meta, separators=(",", ":")).encode()
    return _FRAME_HEAD.pack(FRAME_MAGIC, len(head)) + head + b"".join(parts)


def decode_frame(raw: bytes) -> Any:
    import numpy as np
    import pandas as pd

    if len(raw) < _FRAME_HEAD.size:
        raise ValueError("data frame truncated")
    magic, meta_len = _FRAME_HEAD.unpack_from(raw)
    if magic != FRAME_MAGIC:
        raise ValueError("not an rbi data frame (bad magic)")
    at = _FRAME_HEAD.size + meta_len
    meta = json.loads(bytes(raw[_FRAME_HEAD.size:at]))
    n, names = int(meta["rows"]), list(meta["columns"])
    if len(raw) != at + 8 * n * (1 + len(names)):
        raise ValueError(f"data frame of {n} rows x {len(names)} columns has {len(raw)} bytes")
    raw_index = np.frombuffer(raw, dtype="<i8", count=n, offset=at)
    cols = {name: np.frombuffer(raw, dtype="<f8", count=n, offset=at + 8 * n * (i + 1))
            for i, name in enumerate(names)}
    if meta["index"] == "datetime":
        index: Any = pd.DatetimeIndex(raw_index.astype("datetime64[ns]"), name=meta.get("index_name"))
        if meta.get("tz"):
            index = index.tz_localize(meta["tz"])
    else:
        index = pd.RangeIndex(n) if n == 0 or (
            raw_index[0] == 0 and (raw_index == np.arange(n)).all()
        ) else pd.Index(raw_index.copy())
    return pd.DataFrame(cols, index=index, copy=True)


def raw_frame_sha256(raw: bytes) -> str | None:
    """:func:`frame_sha256` of ``decode_frame(raw)`` without decoding it: the wire
    arrays are the very bytes it hashes. None where they are not (a tz-aware index
    travels as local wall time, a repeated column name decodes to one column, a
    big-endian host): decode and hash the frame instead."""
    if len(raw) < _FRAME_HEAD.size or sys.byteorder != "little":
        return None
    magic, meta_len = _FRAME_HEAD.unpack_from(raw)
    at = _FRAME_HEAD.size + meta_len
    if magic != FRAME_MAGIC or len(raw) < at:
        return None
    meta = json.loads(bytes(raw[_FRAME_HEAD.size:at]))
    n, names = int(meta["rows"]), [str(c) for c in meta["columns"]]
    if meta.get("tz") or len(set(names)) != len(names) or len(raw) != at + 8 * n * (1 + len(names)):
        return None
    view = memoryview(raw)
    h = hashlib.sha256(view[at:at + 8 * n])
    for i, name in enumerate(names):
        h.update(name.encode())
        h.update(view[at + 8 * n * (i + 1):at + 8 * n * (i + 2)])
    return h.hexdigest()


def decode_data(header: dict[str, Any], raw: bytes) -> Any:
    """The request's data: one frame, or (``header["frame_lens"]``: a multi-frame batch,
    set ``i`` runs on frame ``header["frame_of"][i]``) the list of frames."""
    lens = header.get("frame_lens")
    if lens is None:
        return decode_frame(raw)
    frames, pos = [], 0
    for n in lens:
        frames.append(decode_frame(raw[pos:pos + int(n)]))
        pos += int(n)
    if pos != len(raw):
        raise ValueError("multi-frame request: frame_lens do not add up to the data")
    return frames


def frame_sha256(df: Any) -> str:
    """Content hash of a frame: the same bytes as the wire format's arrays, order kept."""
    import numpy as np
    import pandas as pd

    h = hashlib.sha256()
    idx = df.index
    if isinstance(idx, pd.DatetimeIndex):
        h.update(np.ascontiguousarray(idx.asi8).tobytes())
    else:
        h.update(np.ascontiguousarray(np.asarray(idx, dtype="int64")).tobytes())
    for col in df.columns:
        h.update(str(col).encode())
        h.update(np.ascontiguousarray(df[col].to_numpy(dtype="float64")).tobytes())
    return h.hexdigest()


def encode_request(header: dict[str, Any], code: str, data: bytes) -> bytes:
    code_b = code.encode("utf-8", "surrogatepass")
    hdr = dict(header, code_len=len(code_b), data_len=len(data))
    return MAGIC + json.dumps(hdr, separators=(",", ":")).encode() + b"\n" + code_b + data


def read_request(stream: IO[bytes]) -> tuple[dict[str, Any], str, bytes]:
    magic = stream.read(len(MAGIC))
    stamp("request_start")  # a warm harness waits in the read above: transfer starts here
    if magic != MAGIC:
        raise ValueError("not an rbi harness request (bad magic)")
    line = stream.readline(MAX_HEADER)
    header = json.loads(line)
    code = _read_exact(stream, int(header["code_len"])).decode("utf-8", "surrogatepass")
    data = _read_exact(stream, int(header["data_len"]))
    stamp("request_read")
    return header, code, data


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    chunks = []
    while n > 0:
        b = stream.read(n)
        if not b:
            raise ValueError("request truncated")
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


DONE = b'{"rbi": "done"'


def scan_done(stdout: bytearray, start: int) -> int:
    """-1 when a complete ``done`` line is in ``stdout``; else where the next scan (after
    more bytes arrive) should start. Only the trusted harness parent writes stdout."""
    while True:
        nl = stdout.find(b"\n", start)
        if nl < 0:
            return start
        if stdout.startswith(DONE, start):
            return -1
        start = nl + 1


def parse_response(text: str, known: dict[str, Any] | None = None,
                   ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Split the harness stdout into result documents and the final ``done`` record
    (``known``: documents already parsed from some of these lines, by line)."""
    results: list[dict[str, Any]] = []
    done: dict[str, Any] | None = None
    for line in text.splitlines():
        if not line.startswith('{"rbi"'):
            continue
        try:
            doc = known[line] if known and line in known else json.loads(line)
        except ValueError:
            continue
        if doc.get("rbi") == "result":
            results.append(doc)
        elif doc.get("rbi") == "done":
            done = doc
    results.sort(key=lambda d: d.get("index", 0))
    return results, done

"""Length-prefixed messages on a pipe between a strategy child and the harness parent.

A message is ``<u32 json_len><u64 blob_len><json bytes><blob bytes>``. The JSON part is
the child's report; the blob is an optional ``.npz`` with raw arrays (equity curve,
trade columns) that the parent re-verifies against its own pristine copy of the data.
"""

from __future__ import annotations

import io
import json
import os
import struct
from typing import Any

_HEAD = struct.Struct("<IQ")
MAX_JSON = 64 * 1024 * 1024
MAX_BLOB = 1024 * 1024 * 1024


def pack_arrays(arrays: dict[str, Any]) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def unpack_arrays(blob: bytes) -> dict[str, Any]:
    import numpy as np

    if not blob:
        return {}
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def write_message(fd: int, doc: dict[str, Any], blob: bytes = b"") -> None:
    payload = json.dumps(doc, allow_nan=True, default=str).encode()
    data = _HEAD.pack(len(payload), len(blob)) + payload + blob
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class MessageReader:
    """Incremental parser: feed bytes as they arrive, collect complete messages."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.messages: list[tuple[dict[str, Any], bytes]] = []
        self.corrupt: str | None = None

    def feed(self, chunk: bytes) -> None:
        self._buf += chunk
        while len(self._buf) >= _HEAD.size and self.corrupt is None:
            jlen, blen = _HEAD.unpack_from(self._buf)
            if jlen > MAX_JSON or blen > MAX_BLOB:
                self.corrupt = "message header out of range"
                return
            total = _HEAD.size + jlen + blen
            if len(self._buf) < total:
                return
            raw = bytes(self._buf[_HEAD.size:total])
            del self._buf[:total]
            try:
                doc = json.loads(raw[:jlen])
            except ValueError:
                self.corrupt = "message is not JSON"
                return
            if not isinstance(doc, dict):
                self.corrupt = "message is not an object"
                return
            self.messages.append((doc, raw[jlen:]))

"""Length-prefixed messages on a pipe between a strategy child and the harness parent.

A message is ``<u32 json_len><u64 blob_len><json bytes><blob bytes>``. The JSON part is
the child's report (its order log included); the blob is an optional ``.npz`` of raw
arrays, which the harness parent no longer accepts from a worker (see caps.py).

Sizes are capped in the header, before anything is buffered or decoded: a worker (which
runs strategy code) cannot make the parent hold more than :data:`MAX_JSON` +
:data:`MAX_BLOB` bytes for a message.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

_HEAD = struct.Struct("<IQ")
MAX_JSON = 32 * 1024 * 1024  # an order log of ~250k actions; more is refused
MAX_BLOB = 0  # results travel as JSON (the order log); any blob is refused


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

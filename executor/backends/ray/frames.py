"""Length-prefixed pickle frames between the loop and its Ray driver process.

Both ends are this package's own code (the driver process is started by the loop), so
pickle carries RunRequests and RunResults as they are; strategy code never runs in
either process."""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

_HEAD = struct.Struct("!Q")


def write_frame(out: IO[bytes], message: Any) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEAD.pack(len(body)) + body)
    out.flush()


def read_frame(src: IO[bytes]) -> Any:
    """The next message; raises EOFError when the other end has gone."""
    head = _read_exact(src, _HEAD.size)
    return pickle.loads(_read_exact(src, _HEAD.unpack(head)[0]))


def _read_exact(src: IO[bytes], n: int) -> bytes:
    chunks, left = [], n
    while left:
        part = src.read(left)
        if not part:
            raise EOFError("the other end closed the pipe")
        chunks.append(part)
        left -= len(part)
    return b"".join(chunks)

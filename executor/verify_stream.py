"""Replay each result while the sandbox is still running the next parameter sets.

A backend hands every stdout chunk it reads from the sandbox to :meth:`StreamVerifier.feed`
(cheap: it only cuts complete lines and queues the result lines). One host thread
replays them in arrival order (:class:`executor.verify.Verifier`), so a batch's replays
overlap the sandbox's later sets, and a single run's replay overlaps the sandbox's
teardown. :meth:`StreamVerifier.finish` waits for the thread and returns
``{line: verified document}``; :func:`executor.codec.build_results` takes those
documents for the same lines of the final stdout and verifies any other line itself, so
a line this stream missed or failed on is verified exactly as without a stream.
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

from executor.types import RunRequest
from executor.verify import Verifier

LINE_PREFIX = '{"rbi"'


class StreamVerifier:
    def __init__(self, request: RunRequest) -> None:
        self.verifier = Verifier(request)
        self.done: dict[str, dict[str, Any]] = {}
        self._buf = bytearray()
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        # a backend that fails before build_results never calls finish(): the thread then
        # ends once no sandbox of this request can still be writing
        self._idle_s = request.limits.timeout_s * len(self.verifier.sets) + 600.0
        if not request.script:  # build the replayer while the sandbox starts
            self._start()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="rbi-replay", daemon=True)
        self._thread.start()

    def feed(self, chunk: bytes) -> None:
        """Take a stdout chunk as it arrives (never raises into the backend's read loop)."""
        try:
            self._buf += chunk
            nl = self._buf.rfind(b"\n")
            if nl < 0:
                return
            block = bytes(self._buf[:nl + 1])
            del self._buf[:nl + 1]
            for line in block.decode("utf-8", "replace").splitlines():
                if line.startswith(LINE_PREFIX):
                    if self._thread is None:
                        self._start()
                    self._queue.put(line)
        except Exception:  # noqa: BLE001, S110 - build_results verifies whatever was missed
            pass

    def _work(self) -> None:
        if not self.verifier.request.script:
            try:
                self.verifier.replayer()
            except Exception:  # noqa: BLE001, S110 - the first verify() raises it again, reported
                pass
        while True:
            try:
                line = self._queue.get(timeout=self._idle_s)
            except queue.Empty:
                return
            if line is None:
                return
            try:
                doc = json.loads(line)
                if isinstance(doc, dict) and doc.get("rbi") == "result":
                    self.verifier.verify(doc)
                    self.done[line] = doc
            except Exception:  # noqa: BLE001, S112 - left for build_results to verify (and report)
                continue

    def finish(self) -> dict[str, dict[str, Any]]:
        """Wait for the queued replays; ``{line: verified document}``."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        return self.done

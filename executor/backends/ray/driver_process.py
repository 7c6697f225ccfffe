"""The Ray driver process the loop starts: ``python -m executor.backends.ray.driver_process``.

Why a process of its own: Ray ends a driver whose head has died (about 60 s after the
GCS stops answering) and ``ray.shutdown()`` does not return then. Here that costs this
process only: a watchdog probes the head's GCS port every second and, after
``LOST_AFTER`` failed probes, tells the loop the cluster is gone and exits at once. The
loop (:class:`executor.backends.ray.sandbox.RaySandbox`) reports it, keeps its events
pending, and starts a fresh driver when the head answers again.

Messages (frames of :mod:`executor.backends.ray.frames`) from the loop on stdin:
``(kind, id, payload)`` with kind ``run`` (a RunRequest), ``status``, ``refresh``,
``close``. To the loop, on the original stdout (fd 1 is re-pointed at stderr so nothing
Ray or a library prints can corrupt the channel): ``hello`` / ``fatal`` once, then
``ok`` / ``err`` per request, and ``lost`` when the head disappears.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from typing import IO, Any

PROBE_EVERY_S = 1.0
LOST_AFTER = 3  # failed probes in a row: ~3-5 s after the head dies


def main() -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # prints go to stderr, never into the frames
    src = sys.stdin.buffer
    cfg = json.loads(sys.argv[1])

    from executor.backends.ray.frames import write_frame

    wlock = threading.Lock()

    def send(message: Any) -> None:
        with wlock:
            write_frame(out, message)

    try:
        from executor.backends.ray.driver import ClusterDriver

        driver = ClusterDriver(cfg.get("address") or None, cfg.get("node_backend") or None,
                               cfg.get("chunks_per_slot", 2), cfg.get("min_chunk", 8))
    except Exception as exc:
        send(("fatal", 0, (type(exc).__name__, str(exc))))
        os._exit(0)
    gcs = driver.gcs_address()
    send(("hello", 0, {"pid": os.getpid(), "gcs": gcs}))
    if gcs:
        threading.Thread(target=_watch, args=(gcs, send), daemon=True, name="watchdog").start()
    _serve(driver, src, send)


def _serve(driver: Any, src: IO[bytes], send: Any) -> None:
    from executor.backends.ray.frames import read_frame

    def answer(kind: str, rid: int, payload: Any) -> None:
        try:
            if kind == "run":
                value: Any = driver.run_batch(payload)
            elif kind == "status":
                value = driver.status()
            elif kind == "refresh":
                value = driver.refresh()
            else:
                raise ValueError(f"unknown request {kind!r}")
            send(("ok", rid, value))
        except BaseException as exc:  # every request gets an answer
            send(("err", rid, (type(exc).__name__, str(exc))))

    while True:
        try:
            kind, rid, payload = read_frame(src)
        except (EOFError, OSError):
            os._exit(0)  # the loop went away: its actors end with this driver
        if kind == "close":
            try:
                driver.close()
                import ray

                ray.shutdown()
            finally:
                os._exit(0)
        threading.Thread(target=answer, args=(kind, rid, payload), daemon=True,
                         name=f"{kind}-{rid}").start()


def _watch(gcs: str, send: Any) -> None:
    host, _, port = gcs.rpartition(":")
    failed = 0
    while True:
        time.sleep(PROBE_EVERY_S)
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=2.0).close()
            failed = 0
        except OSError as exc:
            failed += 1
            if failed >= LOST_AFTER:
                send(("lost", 0, f"the Ray head's GCS at {gcs} stopped answering ({exc})"))
                os._exit(0)  # not ray.shutdown(): with the head gone it never returns


if __name__ == "__main__":
    main()

"""Who owns a sandbox container, and removing the ones whose owner is gone.

Every sandbox container carries labels naming the process that started it::

    rbi.role=sandbox  rbi.owner=<hostname>:<pid>:<process start ticks>  rbi.boot_id=<kernel boot id>
    rbi.created=<unix time>  rbi.deadline=<unix time by which the run must be over>

A caller killed with SIGKILL cannot remove its container; the next DockerSandbox made
anywhere on the same daemon calls :func:`cleanup_orphans`, which removes every sandbox
container whose owner is provably dead (same host and boot, and that pid no longer runs
with that start time) or, for owners it cannot see (another host or container sharing
the daemon), whose deadline passed more than ``grace_s`` ago.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

ROLE_LABEL = "rbi.role"
ROLE = "sandbox"


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def owner_labels(deadline_s: float) -> dict[str, str]:
    """Labels that tie a new container to this process (pid reuse cannot fool them)."""
    pid = os.getpid()
    now = time.time()
    return {
        ROLE_LABEL: ROLE,
        "rbi.owner": f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or '0'}",
        "rbi.boot_id": _boot_id(),
        "rbi.created": f"{now:.0f}",
        "rbi.deadline": f"{now + deadline_s:.0f}",
    }


def owner_state(labels: dict[str, str]) -> str:
    """``alive``, ``dead`` or ``unknown`` (not on this host/boot: cannot tell)."""
    host, _, rest = (labels.get("rbi.owner") or "").partition(":")
    pid_s, _, ticks = rest.partition(":")
    if host != socket.gethostname() or labels.get("rbi.boot_id") != _boot_id() or not pid_s.isdigit():
        return "unknown"
    current = _start_ticks(int(pid_s))
    return "alive" if current is not None and current == ticks else "dead"


def is_orphan(labels: dict[str, str], now: float, grace_s: float) -> bool:
    state = owner_state(labels)
    if state == "dead":
        return True
    if state == "alive":
        return False
    try:
        deadline = float(labels.get("rbi.deadline", "0"))
    except ValueError:
        deadline = 0.0
    return now > deadline + grace_s


def cleanup_orphans(api: Any, grace_s: float = 600.0) -> list[str]:
    """Remove orphaned sandbox containers (running or not); return their short ids."""
    removed: list[str] = []
    now = time.time()
    for c in api.containers(all=True, filters={"label": f"{ROLE_LABEL}={ROLE}"}):
        if not is_orphan(c.get("Labels") or {}, now, grace_s):
            continue
        try:
            api.remove_container(c["Id"], force=True)
            removed.append(c["Id"][:12])
        except Exception as exc:  # noqa: BLE001 - already gone, or being removed
            if "No such container" not in str(exc) and "already in progress" not in str(exc):
                raise
    return removed

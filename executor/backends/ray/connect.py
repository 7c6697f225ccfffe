"""Joining the Ray cluster, and reading which nodes it has.

Ray's own ports are unauthenticated: the address must be on a private network
(docs/CLUSTER.md). Failing to connect is a :class:`SandboxUnavailable` whose message
says what to start.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from executor.errors import SandboxUnavailable

NAMESPACE = "rbi"
ACTOR_PREFIX = "rbi-node-"


@dataclass(frozen=True)
class Node:
    node_id: str
    address: str
    cpus: int


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise SandboxUnavailable(
            "the ray backend needs Ray: `pip install 'rbi[ray]'` (or `pip install ray`)"
        ) from exc
    return ray


def connect(address: str | None = None) -> Any:
    """Join the cluster at ``address`` (or ``RBI_RAY_ADDRESS``); none: a local instance.

    A process already connected (``ray.init`` done by the caller) is reused as it is."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    address = address or os.environ.get("RBI_RAY_ADDRESS") or None
    if address:
        _probe(address)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no phoning home from the loop
    try:
        ray.init(address=address, namespace=NAMESPACE, include_dashboard=False,
                 log_to_driver=False, logging_level="WARNING", ignore_reinit_error=True)
    except Exception as exc:  # ray raises ConnectionError, RuntimeError, ValueError...
        where = address or "a new local Ray instance"
        raise SandboxUnavailable(
            f"cannot join the Ray cluster at {where}: {exc}. Start a head with "
            "`ray start --head --port 6379` and point RBI_RAY_ADDRESS at it (host:6379), "
            "or unset RBI_RAY_ADDRESS to run on this machine only"
        ) from exc
    return ray


def _probe(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a head that does not answer (``ray.init`` would wait for minutes)."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return  # "auto", "ray://..." and the like: let Ray interpret them
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise SandboxUnavailable(
            f"the Ray head at {address} does not answer ({exc}): start it with "
            "`ray start --head --port 6379` (or `docker compose --profile cluster up -d "
            "rbi-cluster`), or unset RBI_RAY_ADDRESS to run on this machine only. "
            "Nothing was lost: the queued work waits"
        ) from None


def alive_nodes(ray: Any) -> list[Node]:
    """Live nodes that offer CPUs (a head started with ``--num-cpus 0`` runs no sandbox)."""
    try:
        nodes = ray.nodes()
    except Exception as exc:
        raise SandboxUnavailable(f"the Ray cluster stopped answering: {exc}") from exc
    out = []
    for n in nodes:
        cpus = int(n.get("Resources", {}).get("CPU", 0))
        if n.get("Alive") and cpus > 0:
            out.append(Node(n["NodeID"], n.get("NodeManagerAddress", "?"), cpus))
    return out


def slots_for(node: Node) -> int:
    """Concurrent chunks per node: ``RBI_RAY_SLOTS_PER_NODE`` or the node's CPUs."""
    raw = os.environ.get("RBI_RAY_SLOTS_PER_NODE", "")
    if raw.strip():
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            from executor.errors import ConfigError

            raise ConfigError(f"RBI_RAY_SLOTS_PER_NODE={raw!r}: give a whole number >= 1")
        return value
    return max(1, node.cpus)

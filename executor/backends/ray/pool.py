"""One NodeRunner actor per live node, and the driver's view of their load.

The pool is shared by every thread of the loop. Its capacity (each node's slots plus
one queued chunk per node, so no node idles between two chunks) bounds the chunks in
flight across all batches: backpressure, with the rest waiting in the driver.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from executor.backends.ray.connect import ACTOR_PREFIX, NAMESPACE, Node, alive_nodes, slots_for
from executor.backends.ray.node_runner import NodeRunner
from executor.errors import SandboxUnavailable

START_TIMEOUT_S = 120.0
REFRESH_EVERY_S = 5.0


@dataclass
class Member:
    node: Node
    actor: Any
    slots: int
    in_flight: int = 0
    chunks_done: int = 0
    sets_done: int = 0
    alive: bool = True
    first_sent: float = field(default=0.0)
    last_done: float = field(default=0.0)

    def sets_per_s(self) -> float:
        span = self.last_done - self.first_sent
        return self.sets_done / span if span > 0 else 0.0


class ActorPool:
    def __init__(self, ray: Any, node_backend: str) -> None:
        self._ray = ray
        self._node_backend = node_backend
        self._members: dict[str, Member] = {}
        self._starting: set[str] = set()
        self._serial = itertools.count(1)
        self._cond = threading.Condition()
        self._refreshed = 0.0
        self._tag = f"{os.getpid()}-{id(self) & 0xFFFF:04x}"
        self.resubmitted = 0  # chunks sent again after their node or sandbox failed

    # -- membership ---------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Start an actor on each new live node; forget the ones whose node died."""
        with self._cond:
            if not force and time.monotonic() - self._refreshed < REFRESH_EVERY_S:
                return
            self._refreshed = time.monotonic()
            nodes = {n.node_id: n for n in alive_nodes(self._ray)}
            for node_id, m in list(self._members.items()):
                if node_id not in nodes or not m.alive:
                    # its in-flight chunks fail on their own and are sent elsewhere
                    del self._members[node_id]
                    self._kill(m.actor)
            new = [n for n in nodes.values()
                   if n.node_id not in self._members and n.node_id not in self._starting]
            self._starting.update(n.node_id for n in new)  # another thread: not twice
        try:
            pings = []
            for n in new:
                try:
                    actor, slots = self._start(n)
                    pings.append((n, slots, actor, actor.ping.remote()))
                except Exception:
                    continue  # e.g. the node left between the listing and the start
            for node, slots, actor, ping in pings:
                try:
                    self._ray.get(ping, timeout=START_TIMEOUT_S)
                except Exception:
                    continue  # the node went away while starting, or cannot start it
                with self._cond:
                    self._members[node.node_id] = Member(node, actor, slots)
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._starting.difference_update(n.node_id for n in new)

    def _start(self, node: Node) -> tuple[Any, int]:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        slots = slots_for(node)
        cls = self._ray.remote(NodeRunner)
        actor = cls.options(
            name=f"{ACTOR_PREFIX}{node.node_id[:12]}-{self._tag}-{next(self._serial)}",
            namespace=NAMESPACE,
            num_cpus=0,  # its work runs in the node's sandboxes, bounded by ``slots``
            max_concurrency=slots + 2,  # + stats() and ping() while every slot is busy
            max_restarts=0, max_task_retries=0,  # a lost chunk is resubmitted elsewhere
            scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
        ).remote(self._node_backend, slots)
        return actor, slots

    def members(self) -> list[Member]:
        with self._cond:
            return list(self._members.values())

    @property
    def capacity(self) -> int:
        with self._cond:
            return sum(m.slots + 1 for m in self._members.values() if m.alive)

    @property
    def slots(self) -> int:
        with self._cond:
            return sum(m.slots for m in self._members.values() if m.alive)

    # -- load -----------------------------------------------------------------------
    def acquire(self, block: bool, avoid: str = "") -> Member | None:
        """The least-loaded live member with room; None when full and not ``block``.

        ``avoid``: a node id to pass over while another live node exists (a retry)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with self._cond:
                live = [m for m in self._members.values() if m.alive]
                if any(m.node.node_id != avoid for m in live):
                    live = [m for m in live if m.node.node_id != avoid]
                room = [m for m in live if m.in_flight < m.slots + 1]
                if room:
                    best = min(room, key=lambda m: (m.in_flight / m.slots, m.node.node_id))
                    best.in_flight += 1
                    if not best.first_sent:
                        best.first_sent = time.monotonic()
                    return best
                if live:
                    if not block:
                        return None
                    self._cond.wait(timeout=1.0)
                    continue
            self.refresh(force=True)  # nobody alive: look for nodes once more
            with self._cond:
                if not any(m.alive for m in self._members.values()):
                    if time.monotonic() > deadline or not block:
                        raise SandboxUnavailable(
                            "the Ray cluster has no live node with CPUs: start workers with "
                            "`ray start --address <head>:6379` (or scale the ray-worker "
                            "service); nothing was lost, the work waits in the queue")
                    self._cond.wait(timeout=1.0)

    def release(self, member: Member, sets: int = 0) -> None:
        with self._cond:
            member.in_flight -= 1
            if sets:
                member.chunks_done += 1
                member.sets_done += sets
                member.last_done = time.monotonic()
            self._cond.notify_all()

    def mark_dead(self, member: Member) -> None:
        with self._cond:
            member.alive = False
            self._refreshed = 0.0  # look at the cluster again on the next acquire
            self._cond.notify_all()

    def shutdown(self) -> None:
        with self._cond:
            members, self._members = list(self._members.values()), {}
        for m in members:
            self._kill(m.actor)

    def _kill(self, actor: Any) -> None:
        try:
            self._ray.kill(actor, no_restart=True)
        except Exception:
            pass  # already gone with its node

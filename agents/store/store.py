"""``Store``: the typed write/read API over the results database (one connection).

One ``Store`` per thread. Every write method runs in :meth:`Store.tx`, which joins an
already open transaction: a stage handler that opens ``with store.tx():`` gets all its
writes, the events it emits and the queue ack committed together. The methods live in
modules named for what they read and write (``ideas``, ``versions``, ``results``,
``reviews``, ``llm_calls``, ``holdout``, ``runner_lock``, ``event_reads``,
``knowledge``); the CLI read models are in ``queries``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from agents.store.event_reads import EventReadsMixin
from agents.store.holdout import HoldoutMixin
from agents.store.ideas import IDEA_TERMINAL, IdeasMixin, idea_sha256
from agents.store.knowledge import KnowledgeMixin
from agents.store.llm_calls import LlmCallsMixin
from agents.store.results import ResultsMixin
from agents.store.reviews import ReviewsMixin
from agents.store.runner_lock import RunnerLockMixin
from agents.store.versions import VersionsMixin

__all__ = ["Store", "IDEA_TERMINAL", "idea_sha256"]


class Store(IdeasMixin, VersionsMixin, ResultsMixin, ReviewsMixin, LlmCallsMixin,
            HoldoutMixin, RunnerLockMixin, EventReadsMixin, KnowledgeMixin):
    """Typed access to one SQLite file. ``Store(path)`` creates and migrates it."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def tx(self) -> Iterator[Store]:
        """One write transaction (``BEGIN IMMEDIATE``); nested calls join the outer one."""
        with self._tx():
            yield self

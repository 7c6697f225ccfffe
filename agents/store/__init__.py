"""The results database and the event queue: schema, migrations, typed writes and reads.

All SQL of rbi lives in this package (a test fails otherwise)::

    from agents.store import Store, Queue, StoreCallLog
"""

from agents.store.calllog import StoreCallLog
from agents.store.db import connect, migrate, now_iso
from agents.store.queue import Event, Queue
from agents.store.rows import Idea, PrimaryResult, Strategy, Version
from agents.store.store import IDEA_TERMINAL, Store, idea_sha256

__all__ = ["IDEA_TERMINAL", "Event", "Idea", "PrimaryResult", "Queue", "Store", "StoreCallLog",
           "Strategy", "Version", "connect", "idea_sha256", "migrate", "now_iso"]

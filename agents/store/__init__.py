"""The results database: schema, migrations, typed writes and the read queries.

    from agents.store import Store, StoreCallLog
"""

from agents.store.calllog import StoreCallLog
from agents.store.db import connect, migrate, now_iso
from agents.store.store import IDEA_TERMINAL, Store, idea_sha256

__all__ = ["IDEA_TERMINAL", "Store", "StoreCallLog", "connect", "idea_sha256", "migrate", "now_iso"]

"""The watched idea folder (issue 7): files -> ideas, ``.py`` scripts -> the package stage.

``scan(settings, store)`` is the runtime's scan hook (see :mod:`agents.ideas_inbox`).
"""

from __future__ import annotations

from agents.inbox.config import InboxConfig
from agents.inbox.watcher import Inbox, Taken

__all__ = ["Inbox", "InboxConfig", "Taken"]

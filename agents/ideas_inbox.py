"""The idea inbox hook the runtime calls once per tick: ``scan_ideas(settings, store)``.

It delegates to one :class:`agents.inbox.Inbox` per idea folder (kept for the life of
the process: the inbox remembers sizes and mtimes across polls to tell a complete file
from one still being written). See :mod:`agents.inbox.watcher` for the rules.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from agents.inbox import Inbox, InboxConfig

__all__ = ["inbox_for", "pending_files", "scan_ideas"]

log = logging.getLogger("rbi.inbox")
_inboxes: dict[InboxConfig, Inbox] = {}
_lock = threading.Lock()


def inbox_for(settings: Any) -> Inbox:
    cfg = InboxConfig.from_settings(settings)
    with _lock:
        if cfg not in _inboxes:
            _inboxes[cfg] = Inbox(cfg)
        return _inboxes[cfg]


def pending_files(ideas_dir: Path) -> list[Path]:
    """Files the next scans would take or reject (``run --dry-run``)."""
    return Inbox(InboxConfig(ideas_dir=Path(ideas_dir), data_dir=Path("data"))).candidates()


def scan_ideas(settings: Any, store: Any) -> list[int]:
    """Import complete idea files; returns the ids of ideas created by this scan."""
    return inbox_for(settings).scan(store)

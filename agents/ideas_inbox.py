"""The idea inbox hook: ``scan_ideas(settings, store)`` once per loop.

A simple stand-in for the watched folder (issue 7 replaces this module): every
``*.txt`` / ``*.md`` file directly in ``settings.ideas_dir`` becomes an idea; the
content hash makes a file seen twice (or the same text in two files) one idea.
Files are left where they are; unchanged files are not re-read within a process.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from agents.pipeline import submit_idea

__all__ = ["pending_files", "scan_ideas"]

log = logging.getLogger("rbi.inbox")
SUFFIXES = (".txt", ".md")
MAX_BYTES = 1_000_000
_seen: dict[str, tuple[float, int]] = {}


def pending_files(ideas_dir: Path) -> list[Path]:
    """Idea files in the folder whose (mtime, size) this process has not taken yet."""
    try:
        entries = sorted(p for p in ideas_dir.iterdir() if p.suffix.lower() in SUFFIXES)
    except (FileNotFoundError, NotADirectoryError):
        return []
    out = []
    for p in entries:
        try:
            st = p.stat()
        except OSError:
            continue
        if p.is_file() and _seen.get(str(p)) != (st.st_mtime, st.st_size):
            out.append(p)
    return out


def scan_ideas(settings: Any, store: Any) -> list[int]:
    """Import new idea files; returns the ids of ideas created by this scan."""
    created_ids = []
    for p in pending_files(Path(settings.ideas_dir)):
        st = p.stat()
        if st.st_size > MAX_BYTES:
            log.warning("idea file %s skipped: larger than %d bytes", p, MAX_BYTES)
        else:
            try:
                text = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                log.warning("idea file %s unreadable: %s", p, e)
                text = ""
            if text.strip():
                idea_id, created = submit_idea(store, text, source="file", path=str(p))
                if created:
                    log.info("idea %d from %s", idea_id, p)
                    created_ids.append(idea_id)
        _seen[str(p)] = (st.st_mtime, st.st_size)
    return created_ids

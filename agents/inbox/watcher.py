"""The watched idea folder: complete files become ideas, then move out of the way.

A file is taken once it is completely written: its size and mtime unchanged for
``settle_s`` seconds across polls, or (first sighting) its last write at least
``settle_s`` ago — which is how files dropped while the loop was down are picked up at
start — or a filesystem event said it was closed after writing / renamed into the folder
(:mod:`agents.inbox.fsevents`, when ``watchdog`` is installed; polling always runs too,
so bind and network mounts that deliver no events still work).

No file is ever lost: a file moves to ``processed/`` only after its idea row (and its
first event) committed; a crash between the commit and the move is healed at the next
scan (the content hash is already known -> moved with a note). Unusable files (empty,
binary, too large, unreadable, undecodable, unsupported type, a .py without a Strategy)
move to ``rejected/`` with ``<name>.reason.txt`` beside them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.inbox import byo
from agents.inbox.config import InboxConfig
from agents.inbox.intake import submit_code, submit_idea
from agents.inbox.reader import kind_of, read_text

if TYPE_CHECKING:
    from agents.store import Store

__all__ = ["Inbox", "Taken"]

log = logging.getLogger("rbi.inbox")
PDF_REASON = ("PDF files are not read (no text extractor is installed): save the idea as "
              ".txt or .md")


@dataclass(frozen=True)
class Taken:
    """What happened to one file: ``outcome`` is created, duplicate, healed or rejected."""

    path: Path
    outcome: str
    moved_to: Path | None
    idea_id: int | None = None
    note: str = ""


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Inbox:
    """One watched folder; call :meth:`scan` once per loop tick (main thread)."""

    def __init__(self, cfg: InboxConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self.clock = clock
        self._seen: dict[str, tuple[tuple[int, int], float]] = {}  # path -> (key, since)
        self._stuck: dict[str, tuple[int, int]] = {}  # could not move: skip until it changes
        self._events: Any = None
        self._events_tried = False
        self.taken: list[Taken] = []  # this process's history (tests, dry runs)

    # -- which files -------------------------------------------------------------------
    def candidates(self) -> list[Path]:
        """Files directly in the folder that would become ideas or be rejected."""
        try:
            entries = list(self.cfg.ideas_dir.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return []
        out = [p for p in entries if kind_of(p) not in ("ignore", "data") and p.is_file()]

        def order(p: Path) -> tuple[bool, float, str]:
            try:
                mtime = p.stat().st_mtime
            except OSError:
                mtime = 0.0
            return kind_of(p) == "code", mtime, p.name  # scripts last: their CSVs first

        return sorted(out, key=order)

    def _ready(self, path: Path, complete: set[str]) -> bool:
        try:
            st = path.stat()
        except OSError:
            return False
        key = (st.st_size, st.st_mtime_ns)
        if self._stuck.get(str(path)) == key:
            return False
        now = self.clock()
        prev = self._seen.get(str(path))
        if prev is None or prev[0] != key:
            self._seen[str(path)] = (key, now)
            if prev is not None:
                return False  # still changing
            return path.name in complete or now - st.st_mtime >= self.cfg.settle_s
        return path.name in complete or now - prev[1] >= self.cfg.settle_s

    # -- the scan ----------------------------------------------------------------------
    def scan(self, store: Store) -> list[int]:
        """Take every complete file; -> ids of the ideas created by this scan."""
        if not self.cfg.ideas_dir.is_dir():
            self.cfg.ideas_dir.mkdir(parents=True, exist_ok=True)
        self._start_events()
        complete = self._events.take_complete() if self._events is not None else set()
        created = []
        for path in self.candidates():
            if not self._ready(path, complete):
                continue
            taken = self._take(path, store, complete)
            if taken is None:
                continue
            self._seen.pop(str(path), None)
            self.taken.append(taken)
            if taken.outcome == "created" and taken.idea_id is not None:
                created.append(taken.idea_id)
        for gone in [k for k in self._seen if not os.path.exists(k)]:
            del self._seen[gone]
        return created

    def _start_events(self) -> None:
        if self._events_tried or self.cfg.watch == "poll":
            return
        self._events_tried = True
        from agents.inbox.fsevents import FsEvents

        self._events = FsEvents.start(self.cfg.ideas_dir, required=self.cfg.watch == "events")

    def close(self) -> None:
        if self._events is not None:
            self._events.stop()
            self._events = None

    def _take(self, path: Path, store: Store, complete: set[str]) -> Taken | None:
        kind = kind_of(path)
        if kind == "unsupported":
            reason = PDF_REASON if path.suffix.lower() == ".pdf" else (
                f"unsupported file type {path.suffix or '(none)'}: ideas are .txt or .md "
                "files, strategies are .py files")
            return self._reject(path, reason)
        got = read_text(path, self.cfg.max_bytes)
        if got.text is None:
            return self._reject(path, got.reason or "unusable")
        if kind == "code":
            return self._take_code(path, got.text, store, complete)
        idea_id, created = submit_idea(store, got.text, source="file", path=str(path))
        return self._processed(path, store, idea_id, created, got.text)

    def _take_code(self, path: Path, code: str, store: Store, complete: set[str]) -> Taken | None:
        script = byo.analyse(code, path.stem)
        if script.problem:
            return self._reject(path, script.problem)
        beside = byo.local_data_files(script, self.cfg.ideas_dir)
        if not all(self._ready(p, complete) for p in beside):
            return None  # its CSV is still arriving: wait for it
        data = byo.map_dataset(script, self.cfg.ideas_dir, self.cfg.data_dir, self.cfg.dataset)
        idea_id, created = submit_code(store, code, script, data, source="file",
                                           path=str(path))
        taken = self._processed(path, store, idea_id, created, code, extra=data.note)
        for used in data.used:  # the CSV is in the data folder now
            if used.exists():
                self._move(used, self.cfg.processed_dir, "note",
                           f"copied into {self.cfg.data_dir} for {path.name} (I{idea_id})")
        return taken

    # -- moving ------------------------------------------------------------------------
    def _processed(self, path: Path, store: Store, idea_id: int, created: bool, text: str,
                   extra: str = "") -> Taken:
        if created:
            outcome, note = "created", f"I{idea_id} created from {path.name} at {_now_iso()}"
            log.info("idea I%d from %s", idea_id, path)
        else:
            from agents.store.store import idea_sha256

            row = store.one("SELECT id, source_path FROM ideas WHERE content_sha256 = ?",
                            (idea_sha256(text),))
            src = row["source_path"] if row is not None else None
            if src == str(path):
                outcome = "healed"
                note = (f"already imported as I{idea_id}; moved at {_now_iso()} (the loop "
                        "stopped before it could move the file)")
            else:
                outcome = "duplicate"
                note = (f"same content as I{idea_id} (from {src or 'the CLI'}): one idea, "
                        "not added again")
            log.info("%s: %s", path.name, note)
        if extra:
            note += f"\n{extra}"
        moved = self._move(path, self.cfg.processed_dir, "note", note)
        return Taken(path, outcome, moved, idea_id, note)

    def _reject(self, path: Path, reason: str) -> Taken:
        log.warning("idea file %s rejected: %s", path.name, reason)
        moved = self._move(path, self.cfg.rejected_dir, "reason", reason)
        return Taken(path, "rejected", moved, None, reason)

    def _move(self, path: Path, folder: Path, label: str, text: str) -> Path | None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target = _free_name(folder, path.name)
            os.replace(path, target)
        except OSError as e:
            try:
                st = path.stat()
                self._stuck[str(path)] = (st.st_size, st.st_mtime_ns)
            except OSError:
                pass
            log.error("cannot move %s to %s/ (%s); it stays until it changes", path, folder,
                      e.strerror or e)
            return None
        try:
            target.with_name(f"{target.name}.{label}.txt").write_text(text + "\n", encoding="utf-8")
        except OSError as e:
            log.warning("cannot write the %s for %s: %s", label, target, e.strerror or e)
        return target


def _free_name(folder: Path, name: str) -> Path:
    """``name``, or ``stem.N.suffix`` when a file of that name was processed before."""
    target = folder / name
    n = 1
    stem, suffix = os.path.splitext(name)
    while target.exists() or target.with_name(f"{target.name}.note.txt").exists() \
            or target.with_name(f"{target.name}.reason.txt").exists():
        target = folder / f"{stem}.{n}{suffix}"
        n += 1
    return target

"""Optional filesystem events (``watchdog``): files closed after writing or renamed into
the folder are complete at once, without waiting ``settle_s``.

Polling always runs as well (events are lost on overflow, and bind/network mounts often
deliver none), so without ``watchdog`` the inbox works the same, only a little later.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from agents.errors import ConfigError

__all__ = ["FsEvents"]

log = logging.getLogger("rbi.inbox")


class FsEvents:
    def __init__(self, observer: Any) -> None:
        self._observer = observer
        self._mu = threading.Lock()
        self._complete: set[str] = set()

    @classmethod
    def start(cls, folder: Path, *, required: bool = False) -> FsEvents | None:
        """Watch ``folder`` (not recursively); None when watchdog is unavailable."""
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            if required:
                raise ConfigError("RBI_IDEAS_WATCH=events needs the watchdog package "
                                  "(pip install watchdog), or use auto/poll") from None
            log.info("watchdog not installed: polling %s", folder)
            return None
        me = cls(Observer())
        folder_s = str(folder.resolve())

        class Handler(FileSystemEventHandler):  # type: ignore[misc]
            def on_closed(self, event: Any) -> None:  # written and closed
                me._mark(event.src_path, folder_s)

            def on_moved(self, event: Any) -> None:  # renamed into the folder
                me._mark(event.dest_path, folder_s)

        try:
            me._observer.schedule(Handler(), folder_s, recursive=False)
            me._observer.daemon = True
            me._observer.start()
        except OSError as e:  # inotify limits, unsupported filesystem
            if required:
                raise ConfigError(f"cannot watch {folder} for events: {e}") from None
            log.warning("filesystem events unavailable for %s (%s): polling", folder, e)
            return None
        log.info("watching %s for filesystem events (and polling)", folder)
        return me

    def _mark(self, path: Any, folder: str) -> None:
        p = Path(path.decode() if isinstance(path, bytes) else path)
        if str(p.parent) == folder:
            with self._mu:
                self._complete.add(p.name)

    def take_complete(self) -> set[str]:
        """Names of files reported complete since the last call."""
        with self._mu:
            out, self._complete = self._complete, set()
        return out

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=2)

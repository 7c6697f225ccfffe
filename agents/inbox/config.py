"""What the watched folder needs to know, read from ``Settings`` with env fallbacks.

Fields the lead may add to :class:`agents.settings.Settings` later are read with
``getattr`` first, then from the environment (``RBI_<NAME>``), then a default, so this
works before and after they exist:

``ideas_max_bytes`` (1 MB), ``ideas_settle_seconds`` (1 s: a file whose size and mtime
have not changed for this long is complete), ``ideas_watch`` (``auto``: filesystem
events when ``watchdog`` is importable, plus polling; ``poll``: polling only, the right
choice on network and bind mounts), ``byo_dataset`` (the dataset a script's hard-coded
data path maps to when no CSV of that name was dropped; default: first of ``datasets``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.errors import ConfigError

__all__ = ["InboxConfig"]

WATCH_MODES = ("auto", "poll", "events")


def _get(settings: Any, name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(f"RBI_{name.upper()}")
    return default if value in (None, "") else value


@dataclass(frozen=True)
class InboxConfig:
    ideas_dir: Path
    data_dir: Path
    max_bytes: int = 1_000_000
    settle_s: float = 1.0
    watch: str = "auto"
    dataset: str = "GOOG"

    @property
    def processed_dir(self) -> Path:
        return self.ideas_dir / "processed"

    @property
    def rejected_dir(self) -> Path:
        return self.ideas_dir / "rejected"

    @classmethod
    def from_settings(cls, settings: Any) -> InboxConfig:
        from executor import default_data_dir

        datasets = list(getattr(settings, "datasets", None) or ["GOOG"])
        try:
            cfg = cls(
                ideas_dir=Path(_get(settings, "ideas_dir", "data/ideas")),
                data_dir=Path(_get(settings, "data_dir", default_data_dir())),
                max_bytes=int(_get(settings, "ideas_max_bytes", 1_000_000)),
                settle_s=float(_get(settings, "ideas_settle_seconds", 1.0)),
                watch=str(_get(settings, "ideas_watch", "auto")).lower(),
                dataset=str(_get(settings, "byo_dataset", datasets[0])),
            )
        except ValueError as e:
            raise ConfigError(f"idea folder settings: {e}") from None
        if cfg.watch not in WATCH_MODES:
            raise ConfigError(f"RBI_IDEAS_WATCH must be one of {', '.join(WATCH_MODES)}, "
                              f"not {cfg.watch!r}")
        if cfg.max_bytes < 1 or cfg.settle_s < 0:
            raise ConfigError("RBI_IDEAS_MAX_BYTES must be >= 1 and RBI_IDEAS_SETTLE_SECONDS >= 0")
        return cfg

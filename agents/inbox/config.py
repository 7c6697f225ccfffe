"""What the watched folder needs to know, taken from :class:`agents.settings.Settings`:
``ideas_dir``, ``ideas_max_bytes``, ``ideas_settle_seconds``, ``ideas_watch``,
``byo_dataset`` (see the settings for their meaning) and the data directory
(``RBI_DATA_DIR``, as :mod:`executor.datasets` reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.settings import Settings

__all__ = ["InboxConfig"]


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
    def from_settings(cls, settings: Settings) -> InboxConfig:
        from executor import default_data_dir

        return cls(ideas_dir=Path(settings.ideas_dir), data_dir=default_data_dir(),
                   max_bytes=settings.ideas_max_bytes, settle_s=settings.ideas_settle_seconds,
                   watch=settings.ideas_watch, dataset=settings.inbox_dataset)

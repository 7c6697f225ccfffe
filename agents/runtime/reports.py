"""Cycle-end reports: rankings_<date>.json, killed.json and candidates.json.

Written into ``settings.results_dir`` (``RBI_RESULTS_DIR``) by the promote stage after
each decision, at the end of ``run --once`` and periodically while the daemon runs.
``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) fixes ``generated_at``, the
only clock value in the files, so two runs of the same cycle give identical bytes.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.settings import Settings
    from agents.store import Store

__all__ = ["report_stamp", "write_cycle_reports"]

log = logging.getLogger("rbi.reports")


def report_stamp() -> str | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).isoformat(timespec="seconds")
    return None


def write_cycle_reports(settings: Settings, store: Store) -> dict[str, Path]:
    """Write the three reports from the database behind ``store``."""
    from agents.research.reports import write_reports

    out = write_reports(store.conn, Path(settings.results_dir), generated_at=report_stamp())
    log.info("reports written: %s", ", ".join(str(p) for p in out.values()))
    return out

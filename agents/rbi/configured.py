"""The ``strategies:`` of the research config (``research:`` section of --config).

``run`` submits each entry once (content-hashed, so a restart adds nothing): an
``idea`` as idea text, a ``file`` (a backtesting.py script, relative to the working
directory) like ``ideas add FILE.py``. An entry's ``sweep`` / ``params`` /
``constraints`` drive the optimiser for the strategy of the same name (see
:func:`agents.stages.evaluation.configured_sweep`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.errors import ConfigError

__all__ = ["submit_configured"]


def submit_configured(settings: Any, store: Any) -> list[dict[str, Any]]:
    from agents.inbox import InboxConfig
    from agents.inbox.byo import add_script_file
    from agents.pipeline import submit_idea
    from agents.stages.evaluation import research_config

    out: list[dict[str, Any]] = []
    for i, entry in enumerate(research_config(settings).strategies):
        if entry.file:
            path = Path(entry.file)
            if not path.is_file():
                raise ConfigError(f"research: strategies[{i}].file: no such file {path}")
            idea_id, created, _ = add_script_file(store, path, InboxConfig.from_settings(settings))
        else:
            idea_id, created = submit_idea(store, str(entry.idea), source="cli")
        out.append({"entry": i, "idea_id": idea_id, "created": created})
    return out

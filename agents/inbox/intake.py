"""The one way in: every idea text and every bring-your-own script enters the lab here.

    submit_idea(store, text)              an idea text -> its ``research`` event
    submit_code(store, code, script, data) a backtesting.py script -> its ``package`` event
    submit_script(store, path, cfg)       ``ideas add FILE.py`` (read, analysed, mapped)
    submit_item(store, item, cfg)         one argument of ``ideas add`` (text, FILE, -)
    submit_configured(settings, store)    the research config's ``strategies:`` (each once)
    scan(settings, store)                 the watched folder (the runtime calls it per tick)
    pending_files(ideas_dir)              what the next scans would take (``run --dry-run``)

Each submission adds the idea and its first event in ONE transaction; the idea's content
hash dedupes, so submitting the same text or code again adds nothing (``created`` False).
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.errors import ConfigError
from agents.inbox.byo import DataMap, Script, analyse, map_dataset
from agents.inbox.config import InboxConfig
from agents.inbox.reader import read_text
from agents.queue import Queue
from agents.spec import Rule, StrategySpec

if TYPE_CHECKING:
    from agents.inbox.watcher import Inbox
    from agents.settings import Settings
    from agents.store import Store

__all__ = ["pending_files", "scan", "submit_code", "submit_configured", "submit_idea",
           "submit_item", "submit_script"]

log = logging.getLogger("rbi.inbox")
_inboxes: dict[InboxConfig, Inbox] = {}
_lock = threading.Lock()


def submit_idea(store: Store, text: str, *, source: str = "cli", path: str | None = None,
                first_stage: str = "research") -> tuple[int, bool]:
    """Add an idea and its first event in one transaction. -> (idea_id, created)."""
    with store.tx():
        idea_id, created = store.add_idea(text, source=source, path=path)
        if created:
            Queue(store).enqueue(
                first_stage, {"idea_id": idea_id}, idempotency_key=f"idea:{idea_id}:{first_stage}",
                idea_id=idea_id,
            )
            store.set_idea_status(idea_id, "active")
    return idea_id, created


def submit_code(store: Store, code: str, script: Script, data: DataMap, *, source: str,
                path: str | None) -> tuple[int, bool]:
    """Idea + strategy + version + ``package`` event in one transaction -> (idea, created).
    The idea is the code itself; from ``package`` on it is validated, run, debugged,
    optimised and reviewed like generated code."""
    spec = StrategySpec(
        name=script.name, parameters=script.parameters, datasets=[data.dataset],
        hypothesis=f"user-supplied backtesting.py code ({Path(path).name if path else 'stdin'})",
        entry=[Rule("entries as the user's code has them in next()", side="any")],
        exit=[Rule("exits as the user's code has them in next()", side="any")],
        source_idea_hash=hashlib.sha256(code.encode()).hexdigest())
    if spec.validate():  # odd parameter names or ranges: no search space then
        spec.parameters = []
    with store.tx():
        idea_id, created = store.add_idea(code, source=source, path=path)
        if not created:
            return idea_id, False
        sid, _ = store.add_strategy(idea_id, spec.name, spec.to_dict())
        vid, _ = store.add_version(sid, code, spec=spec.to_dict(), params=spec.defaults(),
                                   agent="user", note=f"bring your own code: {data.note}")
        Queue(store).enqueue("package", {"idea_id": idea_id, "strategy_id": sid,
                                         "version_id": vid},
                             idempotency_key=f"idea:{idea_id}:package", idea_id=idea_id,
                             strategy_id=sid)
        store.set_idea_status(idea_id, "active")
    return idea_id, True


def submit_script(store: Store, path: Path, cfg: InboxConfig, *, source: str = "cli"
                  ) -> tuple[int, bool, str]:
    """``ideas add FILE.py``: the script (and a CSV beside it, copied, never moved) ->
    (idea_id, created, what the data path became). Raises ConfigError when unusable."""
    got = read_text(path, cfg.max_bytes)
    if got.text is None:
        raise ConfigError(f"{path}: {got.reason}")
    script = analyse(got.text, path.stem)
    if script.problem:
        raise ConfigError(f"{path}: {script.problem}")
    data = map_dataset(script, path.parent, cfg.data_dir, cfg.dataset)
    idea_id, created = submit_code(store, got.text, script, data, source=source,
                                   path=str(path))
    return idea_id, created, data.note


def submit_item(store: Store, item: str, cfg: InboxConfig,
                read_stdin: Callable[[], str] = sys.stdin.read) -> dict[str, Any]:
    """One ``ideas add`` argument: ``-`` (stdin), a ``.py`` script (enters at
    ``package``), an idea file (.txt, .md or any existing file), else the idea text."""
    path = Path(item)
    if item == "-":
        text, src = read_stdin(), None
    elif path.suffix.lower() == ".py":
        idea_id, created, note = submit_script(store, path, cfg)
        return {"idea_id": idea_id, "created": created, "from": str(path), "stage": "package",
                "data": note}
    elif path.suffix.lower() in (".txt", ".md") or path.is_file():
        if not path.is_file():
            raise ConfigError(f"no such idea file: {item}")
        text, src = path.read_text(encoding="utf-8"), str(path)
    else:
        text, src = item, None
    idea_id, created = submit_idea(store, text, source="cli", path=src)
    return {"idea_id": idea_id, "created": created, "from": src or "text"}


def submit_configured(settings: Settings, store: Store) -> list[dict[str, Any]]:
    """The research config's ``strategies:``, each submitted once (content-hashed, so a
    restart adds nothing): an ``idea`` as idea text, a ``file`` (a backtesting.py script,
    relative to the working directory) like ``ideas add FILE.py``. An entry's ``sweep`` /
    ``params`` / ``constraints`` drive the optimiser for the strategy of the same name
    (see :func:`agents.stages.evaluation.configured_sweep`)."""
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(settings.research.strategies):
        if entry.file:
            path = Path(entry.file)
            if not path.is_file():
                raise ConfigError(f"research: strategies[{i}].file: no such file {path}")
            idea_id, created, _ = submit_script(store, path, InboxConfig.from_settings(settings))
        else:
            idea_id, created = submit_idea(store, str(entry.idea), source="cli")
        out.append({"entry": i, "idea_id": idea_id, "created": created})
    return out


def _inbox_for(settings: Settings) -> Inbox:
    """One :class:`Inbox` per folder for the life of the process: it remembers sizes and
    mtimes across polls to tell a complete file from one still being written."""
    from agents.inbox.watcher import Inbox

    cfg = InboxConfig.from_settings(settings)
    with _lock:
        if cfg not in _inboxes:
            _inboxes[cfg] = Inbox(cfg)
        return _inboxes[cfg]


def scan(settings: Settings, store: Store) -> list[int]:
    """Import the watched folder's complete files; -> ids of the ideas this scan created.
    See :mod:`agents.inbox.watcher` for the rules."""
    return _inbox_for(settings).scan(store)


def pending_files(ideas_dir: Path) -> list[Path]:
    """Files the next scans would take or reject (``run --dry-run``)."""
    from agents.inbox.watcher import Inbox

    return Inbox(InboxConfig(ideas_dir=Path(ideas_dir), data_dir=Path("data"))).candidates()

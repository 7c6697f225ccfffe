"""Files the loop leaves in the results directory, read defensively.

``candidates.json`` / ``killed.json`` / ``rankings_<date>.json`` give scores and the
candidate / killed sets; ``strategies/<name>/`` is a promoted strategy's folder
(backtesting.py's HTML plot, stats, robustness report). Any of them may be missing or
in a shape this module does not know: then it contributes nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["Artifacts"]

_SAFE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_MAX_JSON = 20_000_000


def _read_json(path: Path) -> Any:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_JSON:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _entries(doc: Any) -> list[dict[str, Any]]:
    """Dicts naming a strategy, found at the top level or under any top-level key."""
    items: list[Any] = []
    if isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict):
        for v in doc.values():
            if isinstance(v, list):
                items.extend(v)
    return [d for d in items if isinstance(d, dict) and ("strategy" in d or "name" in d)]


def _name(d: dict[str, Any]) -> str:
    return str(d.get("strategy") or d.get("name") or "")


class Artifacts:
    """Read-only view of ``results_dir``; cached by file mtime."""

    def __init__(self, results_dir: Path | str | None) -> None:
        self.root = Path(results_dir).resolve() if results_dir else None
        self._cache: dict[Path, tuple[float, Any]] = {}

    def _cached(self, path: Path) -> Any:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        hit = self._cache.get(path)
        if hit and hit[0] == mtime:
            return hit[1]
        doc = _read_json(path)
        self._cache[path] = (mtime, doc)
        return doc

    def _file(self, name: str) -> list[dict[str, Any]]:
        if self.root is None:
            return []
        return _entries(self._cached(self.root / name))

    def latest_rankings(self) -> list[dict[str, Any]]:
        if self.root is None:
            return []
        files = sorted(self.root.glob("rankings_*.json"))
        return _entries(self._cached(files[-1])) if files else []

    def candidates(self) -> set[str]:
        return {_name(d) for d in self._file("candidates.json")}

    def killed(self) -> set[str]:
        return {_name(d) for d in self._file("killed.json")}

    def scores(self) -> dict[str, dict[str, Any]]:
        """strategy name -> {"score", "oos_efficiency", "version", ...} from the files."""
        out: dict[str, dict[str, Any]] = {}
        for d in self.latest_rankings() + self._file("candidates.json"):
            name = _name(d)
            if name and (d.get("score") is not None or name not in out):
                out[name] = d
        return out

    # -- a promoted strategy's folder -------------------------------------------------
    def folder(self, name: str) -> Path | None:
        if self.root is None or not _SAFE.match(name):
            return None
        p = self.root / "strategies" / name
        return p if p.is_dir() else None

    def folder_files(self, name: str) -> list[str]:
        p = self.folder(name)
        if p is None:
            return []
        return sorted(f.name for f in p.iterdir() if f.is_file() and _SAFE.match(f.name))

    def folder_file(self, name: str, filename: str) -> Path | None:
        """A file inside ``strategies/<name>/`` (no path tricks), or None."""
        p = self.folder(name)
        if p is None or not _SAFE.match(filename) or filename.startswith("."):
            return None
        f = (p / filename).resolve()
        return f if f.parent == p.resolve() and f.is_file() else None

    def folder_json(self, name: str, *stems: str) -> Any:
        """The first of ``<stem>.json`` present in the folder, parsed."""
        for stem in stems:
            f = self.folder_file(name, f"{stem}.json")
            if f is not None:
                doc = self._cached(f)
                if doc is not None:
                    return doc
        return None

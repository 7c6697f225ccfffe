"""Bring your own code: a backtesting.py script enters the loop at the package stage.

``analyse`` reads what the script is (its Strategy class, its tunable class attributes,
the data files it loads); ``map_dataset`` maps a hard-coded data path to a dataset — a
CSV with the same file name beside the script (copied into the data directory, so
``load_dataset`` finds it by name), one already in the data directory, else the
configured default (GOOG). :func:`agents.inbox.intake.submit_code` then adds it to the
lab; the package stage records its changes in the packaged version's note (``show``).
"""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agents.codefix import package as package_code
from agents.codefix.source import strategy_class_names
from agents.spec import CAMEL, IDENT, Parameter

if TYPE_CHECKING:
    pass

__all__ = ["DataMap", "Script", "analyse", "local_data_files", "map_dataset"]

_PATH_SPLIT = re.compile(r"[\\/]")


@dataclass
class Script:
    name: str
    data_paths: list[str] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    problem: str | None = None  # set: not a strategy file (rejected)


@dataclass
class DataMap:
    dataset: str
    note: str
    used: list[Path] = field(default_factory=list)  # files in the idea folder it consumed


def _camel(stem: str) -> str:
    name = "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", stem))
    name = name if name[:1].isalpha() else f"Strategy{name}"
    return name if CAMEL.match(name) else "UserStrategy"


def _parameters(tree: ast.Module, cls_name: str) -> list[Parameter]:
    """Numeric literal class attributes of the Strategy class, as search ranges."""
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
    out: list[Parameter] = []
    for node in cls.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Constant):
            continue
        v = value.value
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0 \
                or target.id.startswith("_") or not IDENT.match(target.id):
            continue
        if isinstance(v, int):
            out.append(Parameter(target.id, v, max(1, v // 2), max(v * 2, v + 2), 1, type="int"))
        else:
            high = min(v * 2, 0.99) if v < 1 else v * 2  # fractions (of equity) stay below 1
            out.append(Parameter(target.id, v, v / 2, high, type="float"))
    return out


def analyse(code: str, fallback_name: str) -> Script:
    """What a script is; ``problem`` says why it cannot be a strategy."""
    res = package_code(code)
    try:
        tree = ast.parse(code.removeprefix("\ufeff"))
    except (SyntaxError, ValueError):
        # the debug stage may still repair it: keep it, named after the file
        return Script(_camel(fallback_name), list(res.data_paths))
    names = strategy_class_names(tree)
    if not names:
        return Script(_camel(fallback_name), problem="no backtesting.py Strategy subclass in "
                      "this file (class X(Strategy) with init() and next())")
    name = names[-1] if CAMEL.match(names[-1]) else _camel(names[-1])
    return Script(name, list(res.data_paths), _parameters(tree, names[-1]))


def _basename(data_path: str) -> str:
    return _PATH_SPLIT.split(data_path.strip())[-1]


def local_data_files(script: Script, folder: Path) -> list[Path]:
    """Files beside the script named like the data files it loads."""
    out = []
    for p in script.data_paths:
        base = _basename(p)
        if base and (folder / base).is_file():
            out.append(folder / base)
    return out


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _register(src: Path, data_dir: Path) -> str:
    """Copy ``src`` into ``data_dir`` (same content: reuse) -> the dataset's file name."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / src.name
    if target.exists() and _sha(target) != _sha(src):
        target = data_dir / f"{src.stem}-{_sha(src)[:8]}{src.suffix}"
    if not target.exists():
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(target)  # atomic: a half-copied dataset is never visible
    return target.name


def map_dataset(script: Script, folder: Path, data_dir: Path, default: str) -> DataMap:
    """The dataset the script's hard-coded data path stands for (see module doc)."""
    from executor import load_dataset
    from executor.errors import DatasetError

    if not script.data_paths:
        return DataMap(default, f"no hard-coded data path; runs on dataset {default}")
    notes = []
    for p in script.data_paths:
        base = _basename(p)
        for where, cand in (("beside the script", folder / base), ("in the data folder",
                                                                    data_dir / base)):
            if not base or not cand.is_file():
                continue
            try:
                load_dataset(str(cand))
            except DatasetError as e:
                notes.append(f"{cand.name} {where} is not usable OHLCV data ({e})")
                continue
            name = cand.name if where != "beside the script" else _register(cand, data_dir)
            used = [cand] if where == "beside the script" else []
            return DataMap(name, f"hard-coded data {p} -> dataset {name} (the file "
                           f"{cand.name} {where})", used)
    why = "; ".join(notes) or f"no file named {', '.join(_basename(p) for p in script.data_paths)}" \
        " beside the script or in the data folder"
    return DataMap(default, f"hard-coded data {', '.join(script.data_paths)} -> dataset "
                   f"{default} ({why}; drop the CSV beside the script to use it)")

"""Prompt files: ``agents/prompts/<name>.md``.

Format: first line ``<!-- version: <name>-vN -->``; the system text; a line
``<!-- user -->``; the user template. Templates use ``string.Template`` fields
(``$idea``, ``${spec_json}``) so JSON braces in examples need no escaping. The version
travels with every call into ``llm_calls``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from agents.errors import ConfigError
from agents.llm.base import Message

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"
VERSION = re.compile(r"^<!--\s*version:\s*([A-Za-z0-9_.-]+)\s*-->\s*$")
USER_MARK = re.compile(r"^<!--\s*user\s*-->\s*$", re.M)


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str
    user: str

    @property
    def text(self) -> str:
        return self.system + "\n\n" + self.user

    @property
    def fields(self) -> list[str]:
        names = []
        for m in string.Template.pattern.finditer(self.user):
            name = m.group("named") or m.group("braced")
            if name and name not in names:
                names.append(name)
        return names

    def render(self, **fields: Any) -> str:
        missing = [f for f in self.fields if f not in fields]
        if missing:
            raise ConfigError(f"prompt {self.name!r} needs field(s) {missing}")
        return string.Template(self.user).substitute({k: str(v) for k, v in fields.items()})

    def messages(self, **fields: Any) -> list[Message]:
        return [Message("system", self.system), Message("user", self.render(**fields))]


def parse_prompt(name: str, raw: str) -> Prompt:
    first, _, rest = raw.partition("\n")
    m = VERSION.match(first)
    if not m:
        raise ConfigError(f"prompt {name!r}: first line must be '<!-- version: {name}-v1 -->'")
    parts = USER_MARK.split(rest, maxsplit=1)
    if len(parts) != 2:
        raise ConfigError(f"prompt {name!r}: missing the '<!-- user -->' line")
    return Prompt(name, m.group(1), parts[0].strip(), parts[1].strip() + "\n")


@lru_cache(maxsize=64)
def _load(path: str) -> Prompt:
    p = Path(path)
    return parse_prompt(p.stem, p.read_text(encoding="utf-8"))


def load_prompt(name: str, directory: Path | str | None = None) -> Prompt:
    path = Path(directory or PROMPT_DIR) / f"{name}.md"
    if not path.is_file():
        known = sorted(x.stem for x in path.parent.glob("*.md"))
        raise ConfigError(f"no prompt file {path}; known prompts: {known}")
    return _load(str(path))


def list_prompts(directory: Path | str | None = None) -> list[str]:
    return sorted(x.stem for x in Path(directory or PROMPT_DIR).glob("*.md"))

"""Classify a file in the idea folder and read it as text, or say why it is unusable.

Kinds: ``idea`` (.txt/.md/.markdown), ``code`` (.py, bring your own backtesting.py
script), ``data`` (.csv/.parquet: left in place for a script that names it), ``ignore``
(hidden and temporary names writers use before a rename: ``.x``, ``x.tmp``, ``x.part``,
``x~``, editor swap files), ``unsupported`` (anything else: rejected with a reason).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Read", "kind_of", "read_text"]

IDEA_SUFFIXES = (".txt", ".md", ".markdown")
CODE_SUFFIXES = (".py",)
DATA_SUFFIXES = (".csv", ".parquet", ".pq")
TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", ".swx", ".download")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def kind_of(path: Path) -> str:
    name = path.name
    suffix = path.suffix.lower()
    if name.startswith((".", "~")) or name.endswith("~") or suffix in TEMP_SUFFIXES \
            or name.endswith(".reason.txt") or name.endswith(".note.txt"):
        return "ignore"
    if suffix in IDEA_SUFFIXES:
        return "idea"
    if suffix in CODE_SUFFIXES:
        return "code"
    if suffix in DATA_SUFFIXES:
        return "data"
    return "unsupported"


@dataclass(frozen=True)
class Read:
    """``text`` when usable, else ``reason`` (one sentence for ``<name>.reason.txt``)."""

    text: str | None = None
    reason: str | None = None


def read_text(path: Path, max_bytes: int) -> Read:
    """The file's text (UTF-8, or UTF-16/UTF-8 with a byte-order mark) or why not."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Read(reason=f"too large: {size:,} bytes, the limit is {max_bytes:,} "
                        "(RBI_IDEAS_MAX_BYTES)")
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as e:
        return Read(reason=f"unreadable: {e.strerror or e}")
    if len(raw) > max_bytes:
        return Read(reason=f"too large: more than {max_bytes:,} bytes (RBI_IDEAS_MAX_BYTES)")
    if not raw:
        return Read(reason="empty file")
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")
    nul = raw.find(b"\0")
    if not encoding.startswith("utf-16") and nul >= 0:
        return Read(reason=f"binary file: NUL byte at offset {nul}; "
                    "ideas are plain text (.txt, .md) or Python (.py)")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        return Read(reason=f"not UTF-8 text: byte 0x{raw[e.start]:02x} at offset {e.start} "
                    "cannot be decoded; save the file as UTF-8")
    text = text.lstrip("\ufeff")
    if not text.strip():
        return Read(reason="empty file (only whitespace)")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:8192]) // 100):
        return Read(reason=f"binary file: {controls} control characters in the first 8 KB")
    return Read(text=text)

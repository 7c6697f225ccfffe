"""``python -m agents.rbi``: the command line of the research loop.

Exit codes: 0 ok, 1 domain failure (not found, dead events after ``run --once``,
another runner active), 2 usage or system error (bad settings, database unusable).
"""

from agents.rbi.cli import build_parser, main

__all__ = ["build_parser", "main"]

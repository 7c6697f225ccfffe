"""Entry point: ``python -m agents.rbi``."""

import sys

from agents.rbi.cli import main

if __name__ == "__main__":
    sys.exit(main())

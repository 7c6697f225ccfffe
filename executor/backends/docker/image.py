"""Facts about the sandbox image that both docker/build.sh and DockerSandbox need.

``python -m executor.backends.docker.image`` prints the harness hash that the build stamps on the
image as the label ``rbi.harness_sha256``; DockerSandbox refuses an image whose label
differs from the harness next to it (a stale image would speak an older protocol).
Stdlib only: build.sh runs this with any python3.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

DEFAULT_IMAGE = "rbi-sandbox:latest"
HARNESS_LABEL = "rbi.harness_sha256"
SANDBOX_USER = "10001:10001"
PACKAGE_ROOT = Path(__file__).resolve().parents[3]


def default_image() -> str:
    return os.environ.get("RBI_SANDBOX_IMAGE") or DEFAULT_IMAGE


def harness_sha256(package_root: Path = PACKAGE_ROOT) -> str:
    """sha256 over every .py under executor/harness (relative path + content, sorted)."""
    h = hashlib.sha256()
    base = package_root / "executor" / "harness"
    for path in sorted(base.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(package_root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


if __name__ == "__main__":
    print(harness_sha256())

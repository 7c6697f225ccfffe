"""The ``sandbox-image`` compose service: make sure ``rbi-sandbox:latest`` fits this code.

Runs inside the app image (``python docker/compose_sandbox.py``) with the docker socket.
DockerSandbox refuses an image whose ``rbi.harness_sha256`` label is not the harness it
ships (a stale image speaks an older protocol), and compose cannot compute that label,
so this one-shot service does what ``make image`` does: when the image is missing or
stale it builds docker/sandbox.Dockerfile from the copy of the build context baked into
the app image (executor/, the requirements, the wheelhouse), with the right label. Up to
date: exits at once. ``rbi`` starts only after it succeeded (``depends_on``).

Environment: ``BASE_IMAGE`` (default: python:3.11-slim if present, else rbi-base:bookworm
if present, else python:3.11-slim pulled), ``RBI_SANDBOX_IMAGE`` (rbi-sandbox:latest).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import docker
from executor.backends.docker.image import DEFAULT_IMAGE, HARNESS_LABEL, harness_sha256

APP = Path(__file__).resolve().parent.parent


def _version() -> str:
    m = re.search(r'^version\s*=\s*"([^"]+)"', (APP / "pyproject.toml").read_text(), re.M)
    return m.group(1) if m else "0.0.0"


def _labels(client: Any, image: str) -> dict[str, str] | None:
    try:
        return (client.api.inspect_image(image).get("Config") or {}).get("Labels") or {}
    except docker.errors.ImageNotFound:
        return None


def _base(client: Any) -> str:
    if os.environ.get("BASE_IMAGE"):
        return os.environ["BASE_IMAGE"]
    for name in ("python:3.11-slim", "rbi-base:bookworm"):
        if _labels(client, name) is not None:
            return name
    return "python:3.11-slim"


def _wheels() -> Path:
    """The sandbox's wheels; downloaded here when the app image was built without them."""
    wh = APP / "docker" / "wheelhouse"
    req = APP / "docker" / "requirements.txt"
    names = [ln.split("==")[0].strip().lower().replace("-", "_") for ln in req.read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    have = {p.name.split("-")[0].lower() for p in wh.glob("*.whl")}
    if not all(n in have for n in names):
        print("sandbox-image: wheelhouse incomplete, downloading wheels from the package index")
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
                        "--no-deps", "-d", str(wh), "-r", str(req)], check=True)
    return wh


def _context(wheels: Path) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for rel in ("docker/sandbox.Dockerfile", "docker/requirements.txt"):
            tar.add(APP / rel, arcname=rel)
        for whl in sorted(wheels.glob("*.whl")):
            tar.add(whl, arcname=f"docker/wheelhouse/{whl.name}")
        tar.add(APP / "executor", arcname="executor",
                filter=lambda t: None if "__pycache__" in t.name or t.name.endswith(".pyc") else t)
    buf.seek(0)
    return buf


def main() -> int:
    t0 = time.monotonic()
    image = os.environ.get("RBI_SANDBOX_IMAGE") or DEFAULT_IMAGE
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    client = docker.from_env(timeout=900)
    want = harness_sha256()
    labels = _labels(client, image)
    if labels is not None and labels.get(HARNESS_LABEL) == want:
        print(f"sandbox-image: {image} is up to date (harness {want[:12]})")
        return 0
    why = "missing" if labels is None else f"stale (harness {labels.get(HARNESS_LABEL, '?')[:12]})"
    version, base = _version(), _base(client)
    print(f"sandbox-image: {image} is {why}: building from {base} (harness {want[:12]})")
    stream = client.api.build(
        fileobj=_context(_wheels()), custom_context=True, dockerfile="docker/sandbox.Dockerfile",
        tag=f"{repo}:{version}", rm=True, forcerm=True, decode=True, network_mode="host",
        buildargs={"BASE_IMAGE": base, "RBI_VERSION": version, "HARNESS_SHA256": want})
    for chunk in stream:
        if "error" in chunk:
            print(f"sandbox-image: build failed: {chunk['error'].strip()}", file=sys.stderr)
            return 1
        text = chunk.get("stream", "").rstrip()
        if text.startswith(("Step ", "Successfully")) or "ok" in text:
            print(f"sandbox-image: {text}")
    client.api.tag(f"{repo}:{version}", repo, "latest")
    print(f"sandbox-image: {repo}:{version} and {repo}:latest ready in "
          f"{time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

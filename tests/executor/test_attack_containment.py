"""Defence in depth: every attack file runs in the local sandbox with the validator
BYPASSED, and must do no harm: no marker file outside the sandbox, no secret from the
caller's environment visible, and the contained attacks end with the right status."""

from __future__ import annotations

import glob
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from backtesting.test import GOOG

from executor.backends.local.sandbox import LocalSandbox
from executor.cli import decode_source
from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import TESTS

CORPUS = TESTS / "corpus" / "attacks"
CANARY = "rbi-canary-7f3a9c"
MARKER_GLOBS = ("/tmp/rbi_pwned*", "/var/tmp/rbi_pwned*", "/dev/shm/rbi_pwned*", "/rbi_pwned*",
                "/root/rbi_pwned*")
EXPECTED = {  # contained-at-run-time attacks and the status that names them
    "infinite_loop.py": {"timeout"},
    "cpu_burn.py": {"timeout"},
    "memory_bomb_numpy.py": {"memory"},
    "memory_bomb_string.py": {"memory"},
    "stdout_flood.py": {"output_limit"},
    "stderr_flood.py": {"output_limit", "ok", "timeout"},  # warnings: recorded, bounded, not printed
    "exit_early.py": {"error"},
    "recursion_bomb.py": {"error", "memory"},
}
LIMITS = Limits(timeout_s=4, memory_mb=768, output_bytes=2 * 1024 * 1024, scratch_mb=20, pids=64)


def _markers() -> set[str]:
    found: set[str] = set()
    for pattern in MARKER_GLOBS:
        found.update(glob.glob(pattern))
    found.update(str(p) for p in Path.cwd().glob("rbi_pwned*"))
    return found


@pytest.fixture(scope="module")
def outcomes():
    before = _markers()
    os.environ["RBI_CANARY_SECRET"] = CANARY
    os.environ.setdefault("ANTHROPIC_API_KEY", CANARY)
    sandbox = LocalSandbox()
    files = sorted(CORPUS.glob("*.py"))
    assert len(files) >= 40

    def one(path: Path):
        code = decode_source(path.read_bytes()).replace("\x00", "")
        req = RunRequest(code=code, data=GOOG, limits=LIMITS,
                         options=BacktestOptions(cash=10_000, commission=0.002))
        return path.name, sandbox.run(req)

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = dict(pool.map(one, files))
    finally:
        os.environ.pop("RBI_CANARY_SECRET", None)
    return results, _markers() - before


def test_no_marker_file_appears_outside_the_sandbox(outcomes):
    _, new_markers = outcomes
    assert not new_markers


def test_no_environment_secret_leaks(outcomes):
    results, _ = outcomes
    for name, res in results.items():
        assert CANARY not in res.to_json(), name


def test_contained_attacks_end_with_their_status(outcomes):
    results, _ = outcomes
    for name, statuses in EXPECTED.items():
        assert results[name].status in statuses, (name, results[name].status, results[name].error)


def test_runtime_fake_stats_do_not_become_the_result(outcomes):
    results, _ = outcomes
    res = results["fake_stats_runtime.py"]
    assert res.stats_source == "replay"
    assert res.stats.get("Return [%]") != 99999.0
    assert res.status in ("ok", "error")


def test_every_attack_gets_a_clear_status(outcomes):
    results, _ = outcomes
    for name, res in results.items():
        assert res.status in ("ok", "error", "timeout", "memory", "output_limit", "killed",
                              "tampered", "unreplayable"), name
        if res.status != "ok":
            assert res.error and res.error.get("message"), name

"""One contract, every backend: LocalSandbox and DockerSandbox give the same results and
hold the same containment, with the validator BYPASSED (``sandbox.run`` directly).

Docker: skipped with the reason outside CI when the engine or image is unusable, and a
FAILURE under CI=true (see conftest.require_docker).
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import tempfile
import threading

import pytest
from backtesting import Backtest, Strategy

from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import read_strategy, require_docker

GOLDEN = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)
SECRET = "sk-rbi-contract-3b9e51d07c"


def _header(body: str, imports: str = "") -> str:
    return (f"{imports}\nfrom backtesting import Strategy\n\n\nclass Probe(Strategy):\n"
            f"    def init(self):\n{body}\n\n    def next(self):\n        pass\n")


def _indent(code: str, n: int = 8) -> str:
    return "\n".join(" " * n + line if line else line for line in code.strip("\n").splitlines())


@pytest.fixture(scope="module", params=["local", "docker"])
def sandbox(request):
    if request.param == "local":
        from executor.backends.local.sandbox import LocalSandbox

        return LocalSandbox()
    return require_docker()


def _run(sandbox, code, data, limits=None, **kw):
    kw.setdefault("restricted", False)  # the contract probes the sandbox beneath the guards
    req = RunRequest(code=code, data=data, options=kw.pop("options", GOLDEN),
                     limits=limits or Limits(timeout_s=60), **kw)
    return sandbox.run(req)


def _same(a, b):
    if a is None or b is None:
        return a is None and (b is None or (isinstance(b, float) and math.isnan(b)))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


class TestContract:
    def test_golden_sma_cross_equals_in_process(self, sandbox, goog):
        from executor.harness.statsjson import stats_to_json

        code = read_strategy("sma_cross.py")
        res = _run(sandbox, code, goog)
        assert res.status == "ok", res.error
        ns: dict = {}
        exec(compile(code, "strategy.py", "exec"), ns)
        cls = next(v for v in ns.values() if isinstance(v, type) and issubclass(v, Strategy)
                   and v is not Strategy)
        native = Backtest(goog, cls, cash=10_000, commission=0.002, exclusive_orders=True).run()
        expected = stats_to_json(native)
        assert res.stats["# Trades"] == 93
        assert round(res.stats["Return [%]"], 3) == 462.635
        assert set(expected) <= set(res.stats)
        for key, value in expected.items():
            assert _same(res.stats[key], value), (key, res.stats[key], value)
        assert len(res.trades) == 93
        assert res.backend == sandbox.name
        assert res.code_sha256 and res.data_sha256

    def test_infinite_loop_times_out(self, sandbox, goog):
        code = _header("        pass").replace("        pass\n", "        while True:\n            pass\n", 2)
        res = _run(sandbox, code, goog, Limits(timeout_s=3))
        assert res.status == "timeout", res.error

    def test_memory_bomb_is_memory(self, sandbox, goog):
        body = "        hog = []\n        while True:\n            hog.append(bytearray(64 * 1024 * 1024))"
        res = _run(sandbox, _header(body), goog, Limits(timeout_s=30, memory_mb=768))
        assert res.status == "memory", res.error

    def test_fork_bomb_is_contained_by_the_pids_limit(self, sandbox, goog):
        body = _indent("""
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        n += 1
except OSError as exc:
    print(f"FORK-LIMIT after {n}: {exc}", flush=True)
    raise
""")
        res = _run(sandbox, _header(body, "import os\nimport time"), goog,
                   Limits(timeout_s=20, pids=48))
        assert res.status == "error", res.error
        assert "FORK-LIMIT after" in res.stdout_tail, res.stdout_tail[-2000:]
        forks = int(res.stdout_tail.split("FORK-LIMIT after ")[1].split(":")[0])
        assert forks < 48

    def test_network_calls_fail(self, sandbox, goog):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        accepted: list[object] = []
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    accepted.append(listener.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        body = _indent(f"""
for host, port in (("127.0.0.1", {port}), ("192.0.2.1", 80)):
    try:
        socket.create_connection((host, port), timeout=5).close()
        print(f"NET {{host}} CONNECTED", flush=True)
    except OSError as exc:
        print(f"NET {{host}} BLOCKED errno={{exc.errno}} {{exc}}", flush=True)
""")
        try:
            res = _run(sandbox, _header(body, "import socket"), goog)
        finally:
            stop.set()
            thread.join(2)
            listener.close()
        out = res.stdout_tail
        assert res.status == "ok", res.error
        assert "CONNECTED" not in out and not accepted, out
        assert "NET 127.0.0.1 BLOCKED" in out, out
        # no route at all (ENETUNREACH), not a slow timeout: there is no network
        assert "NET 192.0.2.1 BLOCKED errno=101" in out, out

    def test_environment_is_empty(self, sandbox, goog, monkeypatch):
        monkeypatch.setenv("RBI_CONTRACT_API_KEY", SECRET)
        monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
        body = "        print('ENV', sorted(os.environ.items()), flush=True)"
        res = _run(sandbox, _header(body, "import os"), goog)
        assert res.status == "ok", res.error
        assert "ENV [" in res.stdout_tail
        assert SECRET not in res.stdout_tail
        assert "RBI_CONTRACT_API_KEY" not in res.stdout_tail
        assert "ANTHROPIC_API_KEY" not in res.stdout_tail

    def test_root_is_read_only(self, sandbox, goog):
        body = _indent("""
for path in ("/usr/rbi_contract_probe", "/etc/rbi_contract_probe", "/tmp/rbi_scratch_probe"):
    try:
        with open(path, "w") as fh:
            fh.write("x")
        print(f"WROTE {path}", flush=True)
    except OSError as exc:
        print(f"DENIED {path} {exc}", flush=True)
""")
        res = _run(sandbox, _header(body), goog)
        out = res.stdout_tail
        assert res.status == "ok", res.error
        assert "DENIED /usr/rbi_contract_probe" in out, out
        assert "DENIED /etc/rbi_contract_probe" in out, out
        assert "WROTE /tmp/rbi_scratch_probe" in out, out  # scratch space works
        assert not os.path.exists("/usr/rbi_contract_probe")
        assert not os.path.exists("/etc/rbi_contract_probe")

    def test_output_flood_is_capped(self, sandbox, goog):
        code = _header("        pass").replace(
            "    def next(self):\n        pass", "    def next(self):\n        print('x' * 10_000)")
        res = _run(sandbox, code, goog, Limits(timeout_s=60, output_bytes=1_000_000))
        assert res.status == "output_limit", res.error
        assert len(res.stdout_tail) <= 512 * 1024

    def test_nothing_is_left_behind(self, sandbox, goog, tmp_path, monkeypatch):
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # this run's temp dirs only
        res = _run(sandbox, read_strategy("sma_cross.py"), goog)
        assert res.status == "ok", res.error
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("rbi-run-")] == []
        if sandbox.name == "docker":
            from executor.backends.docker.sandbox import settle

            assert settle(60)  # a finished run's container is removed on a thread
            ids = subprocess.run(
                ["docker", "ps", "-aq", "--filter", f"label=rbi.run_id={res.run_id}"],
                capture_output=True, text=True, check=True).stdout.split()
            assert ids == []
            every = subprocess.run(["docker", "ps", "-aq", "--no-trunc"], capture_output=True,
                                   text=True, check=True).stdout
            assert res.isolation["container"] and res.isolation["container"] not in every

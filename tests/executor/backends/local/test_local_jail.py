"""The local sandbox is a boundary: one attack per weakness of the pre-jail sandbox
(mount + network namespaces only), run with the validator BYPASSED (``sandbox.run``).

Each test failed on the pre-jail code (host /proc, SysV IPC, host unix sockets and host
files were all reachable; a re-forking process outlived the one-pass sweep; memory was
capped per process only) and passes with the bubblewrap jail, per-run namespaces and the
run's cgroup. Without a usable jail they are skipped with the reason, and FAIL under CI=true.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from executor.backends.local.sandbox import LocalSandbox
from executor.types import Limits, RunRequest
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    box = LocalSandbox()
    if box.jail_problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the local sandbox's jail is unusable: {box.jail_problem}")
        pytest.skip(f"no bubblewrap jail here: {box.jail_problem}")
    return box


def _probe(body: str, imports: str = "import os") -> str:
    lines = "\n".join("        " + ln if ln else ln for ln in body.strip("\n").splitlines())
    return (f"{imports}\nfrom backtesting import Strategy\n\n\nclass Probe(Strategy):\n"
            f"    def init(self):\n{lines}\n\n    def next(self):\n        pass\n")


def _run(sandbox: LocalSandbox, code: str, goog, limits: Limits | None = None):  # type: ignore[no-untyped-def]
    res = sandbox.run(RunRequest(code=code, data=goog, limits=limits or Limits(timeout_s=60),
                                 restricted=False))  # probes the jail beneath the guards
    return res


def test_host_processes_and_command_lines_are_invisible(sandbox, goog):
    marker = f"rbi-host-secret-{secrets.token_hex(6)}"
    host = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker])
    try:
        code = _probe(f"""
pids = [p for p in os.listdir("/proc") if p.isdigit()]
seen = []
for p in pids:
    try:
        seen.append(open(f"/proc/{{p}}/cmdline", "rb").read().replace(b"\\0", b" ").decode())
    except OSError:
        pass
print("NPIDS", len(pids), flush=True)
print("HIT" if any({marker!r} in c for c in seen) else "MISS", flush=True)
print("PID1", open("/proc/1/cmdline", "rb").read()[:60], flush=True)
""")
        res = _run(sandbox, code, goog)
    finally:
        host.kill()
        host.wait()
    out = res.stdout_tail
    assert res.status == "ok", res.error
    assert "MISS" in out and "HIT" not in out, out
    # only the run's own processes: pid-1 init, the harness parent, this worker
    npids = int(out.split("NPIDS ")[1].split()[0])
    assert npids <= 5, out
    assert res.isolation["pid_namespace"] is True


def test_sysv_shared_memory_does_not_carry_over_to_the_next_run(sandbox, goog):
    key = 0x5B000000 + secrets.randbelow(0xFFFFF)
    shm = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
"""
    writer = _probe(f"""
shmid = libc.shmget({key}, 4096, 0o1666)
addr = libc.shmat(shmid, None, 0)
ctypes.memmove(addr, b"RBI-SECRET-FROM-RUN-1", 21)
print("WROTE", shmid, flush=True)
""", "import os" + shm)
    reader = _probe(f"""
shmid = libc.shmget({key}, 4096, 0o666)
if shmid < 0:
    print("NOSHM errno", ctypes.get_errno(), flush=True)
else:
    addr = libc.shmat(shmid, None, 0)
    print("READ", ctypes.string_at(addr, 21), flush=True)
""", "import os" + shm)
    try:
        first = _run(sandbox, writer, goog)
        assert first.status == "ok" and "WROTE" in first.stdout_tail, (first.error, first.stdout_tail)
        second = _run(sandbox, reader, goog)
        assert second.status == "ok", second.error
        assert "RBI-SECRET" not in second.stdout_tail, second.stdout_tail
        assert "NOSHM errno 2" in second.stdout_tail, second.stdout_tail
        # and nothing of the run is left in the host's IPC namespace
        host = subprocess.run(["ipcs", "-m"], capture_output=True, text=True).stdout
        assert f"0x{key:08x}" not in host
    finally:
        subprocess.run(["ipcrm", "-M", str(key)], capture_output=True)


def test_host_unix_sockets_are_unreachable(sandbox, goog):
    base = "/run" if os.access("/run", os.W_OK) else str(ROOT)
    folder = tempfile.mkdtemp(prefix="rbi-sock-", dir=base)
    os.chmod(folder, 0o755)
    path = os.path.join(folder, "host.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(5)
    server.settimeout(0.2)
    try:
        code = _probe(f"""
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect({path!r})
    print("CONNECTED", flush=True)
except OSError as exc:
    print("REFUSED", type(exc).__name__, exc, flush=True)
""", "import os\nimport socket")
        res = _run(sandbox, code, goog)
        with contextlib.suppress(OSError):
            server.accept()[0].close()
            pytest.fail("the sandbox connected to a host unix socket")
    finally:
        server.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
            os.rmdir(folder)
    assert res.status == "ok", res.error
    assert "REFUSED" in res.stdout_tail and "CONNECTED" not in res.stdout_tail, res.stdout_tail


def test_host_files_are_not_readable(sandbox, goog):
    secret = f"rbi-host-file-{secrets.token_hex(6)}"
    folder = tempfile.mkdtemp(prefix="rbi-hostfile-", dir=str(ROOT))
    os.chmod(folder, 0o755)
    planted = os.path.join(folder, "secret.txt")
    Path(planted).write_text(secret)
    os.chmod(planted, 0o644)
    results = ROOT / "results"
    targets = [planted, "/etc/hostname", "/etc/passwd", str(results), str(ROOT / "README.md"),
               str(ROOT / ".git"), "/home", "/var/run", "/run"]
    try:
        code = _probe(f"""
for path in {targets!r}:
    try:
        got = os.listdir(path) if os.path.isdir(path) else open(path).read(200)
        print("READ", path, repr(got)[:80], flush=True)
    except OSError as exc:
        print("DENIED", path, type(exc).__name__, flush=True)
""")
        res = _run(sandbox, code, goog)
    finally:
        os.unlink(planted)
        os.rmdir(folder)
    out = res.stdout_tail
    assert res.status == "ok", res.error
    assert secret not in out, out
    for path in targets:
        assert f"DENIED {path} " in out, (path, out)
    assert not [ln for ln in out.splitlines() if ln.startswith("READ ")], out


def _comm_pids(name: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/comm").read_text().strip() == name:
                    found.append(int(entry))
    return found


def test_a_reforking_setsid_process_does_not_survive_the_run(sandbox, goog):
    name = f"rbisv{secrets.token_hex(4)}"  # /proc/PID/comm keeps 15 bytes
    code = _probe(f"""
if os.fork() == 0:
    os.setsid()
    libc = ctypes.CDLL(None)
    libc.prctl(15, {name.encode()!r}, 0, 0, 0)  # PR_SET_NAME
    while True:  # a new pid every moment: a one-pass sweep always misses it
        if os.fork():
            os._exit(0)
time.sleep(0.5)
""", "import ctypes\nimport os\nimport time")
    res = _run(sandbox, code, goog)
    try:
        assert res.status == "ok", res.error
        time.sleep(1.0)
        survivors = _comm_pids(name)
        assert survivors == [], f"re-forking process outlived its run: {survivors}"
    finally:
        uid = int(res.isolation.get("uid") or 0)
        if _comm_pids(name) and uid > 0 and os.geteuid() == 0:  # leave the host clean
            pid = os.fork()
            if pid == 0:
                os.setuid(uid)
                for _ in range(200):
                    with contextlib.suppress(OSError):
                        os.kill(-1, signal.SIGKILL)
                os._exit(0)
            os.waitpid(pid, 0)


def test_a_pool_of_workers_shares_one_memory_cap(sandbox, goog):
    """4 workers each take 500 MB, under the per-process limit (1024 MB address space);
    together 2 GB > the run's 1024 MB: the whole-run cap kills some of them as memory."""
    code = _probe("""
hog = numpy.ones(500 * 1024 * 1024, dtype=numpy.uint8)  # written: really resident
time.sleep(4)
""", "import numpy\nimport time")
    req = RunRequest(code=code, data=goog, limits=Limits(timeout_s=60, memory_mb=1024), restricted=False,
                     param_sets=[{}, {}, {}, {}])
    results = sandbox.run_batch(req, parallel=4)
    statuses = [r.status for r in results]
    assert set(statuses) <= {"ok", "memory"}, [(r.status, r.error) for r in results]
    assert statuses.count("memory") >= 2, statuses
    assert "cgroup v" in results[0].isolation["cgroup"], results[0].isolation


def test_the_harness_parent_is_inside_the_run_cgroup(sandbox, goog):
    """The trusted parent decodes what workers send: its memory counts against the run's
    cap too (it used to have no limit at all)."""
    code = _probe("""
for who in ("self", str(os.getppid())):
    lines = open(f"/proc/{who}/cgroup").read().splitlines()
    print("CG", who, [ln for ln in lines if ":memory:" in ln or ":pids:" in ln or ln.startswith("0::")],
          flush=True)
""")
    res = _run(sandbox, code, goog)
    assert res.status == "ok", res.error
    rows = [ln for ln in res.stdout_tail.splitlines() if ln.startswith("CG ")]
    assert len(rows) == 2, res.stdout_tail
    for row in rows:
        assert "rbi-local-" in row and res.isolation["cgroup_id"] in row, row


def test_missing_bubblewrap_is_a_clear_error_or_a_stated_fallback(goog, monkeypatch):
    from executor.backends.local import jail as local_jail
    from executor.errors import SandboxUnavailable

    monkeypatch.setenv("RBI_BWRAP", "/nonexistent/bwrap")
    local_jail.probe.cache_clear()
    local_jail.bwrap_argv.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match="apt-get install -y bubblewrap"):
            LocalSandbox(jail="require")
        box = LocalSandbox()  # auto: runs, and says what applied and how to get the jail
        res = box.run(RunRequest(code=_probe("pass"), data=goog, limits=Limits(timeout_s=60),
                                 restricted=False))
        assert res.status == "ok", res.error
        assert res.isolation["jail"] == "none"
        assert "apt-get install -y bubblewrap" in res.isolation["jail_note"], res.isolation
    finally:
        monkeypatch.delenv("RBI_BWRAP")
        local_jail.probe.cache_clear()
        local_jail.bwrap_argv.cache_clear()


def test_a_checkout_under_tmp_still_runs(sandbox, tmp_path):
    """A clean clone under /tmp (CI) must stay importable under the run's private /tmp."""
    import shutil

    copy = Path(tempfile.mkdtemp(prefix="rbi-clone-", dir="/tmp"))
    try:
        shutil.copytree(ROOT / "executor", copy / "executor",
                        ignore=shutil.ignore_patterns("__pycache__"))
        os.chmod(copy, 0o755)
        script = (
            "import sys\n"
            f"sys.path.insert(0, {str(copy)!r})\n"
            "from backtesting.test import GOOG\n"
            "from executor.backends.local.sandbox import LocalSandbox\n"
            "from executor.types import BacktestOptions, Limits, RunRequest\n"
            "import executor.backends.local.sandbox as m\n"
            f"assert m.__file__.startswith({str(copy)!r}), m.__file__\n"
            f"code = open({str(ROOT / 'tests' / 'strategies' / 'sma_cross.py')!r}).read()\n"
            "opts = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)\n"
            "res = LocalSandbox().run(RunRequest(code=code, data=GOOG, options=opts,\n"
            "                                    limits=Limits(timeout_s=60)))\n"
            "print(res.status, res.isolation.get('jail'), res.stats.get('# Trades'), res.error)\n"
        )
        done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                              timeout=300, cwd="/")
        assert done.stdout.split()[:3] == ["ok", "bwrap", "93"], (done.stdout, done.stderr[-2000:])
    finally:
        shutil.rmtree(copy, ignore_errors=True)

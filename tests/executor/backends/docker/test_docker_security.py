"""The security properties of a sandbox container, read from inside by strategy code
(validator bypassed: ``sandbox.run``), for a one-shot (cold) container: no network,
read-only root, non-root, every capability dropped, no-new-privileges, a noexec/nosuid/
nodev size-capped /tmp, nofile/fsize/core limits, memory and pids caps in its cgroup.
A start-up optimisation that loses one of them fails here."""

from __future__ import annotations

import json

import pytest

from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import require_docker

pytestmark = pytest.mark.docker

PROBE = '''
import json, os
from backtesting import Strategy


def read(path):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError as exc:
        return "ERR " + type(exc).__name__


def cgroup(*names):
    for name in names:
        for base in ("/sys/fs/cgroup/memory/", "/sys/fs/cgroup/pids/", "/sys/fs/cgroup/"):
            text = read(base + name)
            if not text.startswith("ERR"):
                return text.strip()
    return None


status = dict(line.split(":", 1) for line in read("/proc/self/status").splitlines() if ":" in line)
mounts = [line.split() for line in read("/proc/self/mounts").splitlines()]
limits = {" ".join(line.split()[:-3]): line.split()[-3:-1]
          for line in read("/proc/self/limits").splitlines()[1:]}
try:
    open("/probe-root-write", "w").close()
    root_write = "written"
except OSError as exc:
    root_write = type(exc).__name__
script = "/tmp/probe.sh"
with open(script, "w") as fh:
    fh.write("#!/bin/sh\\necho ran\\n")
os.chmod(script, 0o755)
try:
    os.execv(script, [script])  # replaces this process if it works: the run then fails
    exec_tmp = "ran"
except OSError as exc:
    exec_tmp = type(exc).__name__
print("PROBE " + json.dumps({
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
    "cap_eff": status["CapEff"].strip(), "cap_bnd": status["CapBnd"].strip(),
    "no_new_privs": status.get("NoNewPrivs", "").strip(),
    "tmp": [m[3].split(",") for m in mounts if m[1] == "/tmp"],
    "tmp_type": [m[2] for m in mounts if m[1] == "/tmp"],
    "root_opts": [m[3].split(",") for m in mounts if m[1] == "/"],
    "root_write": root_write, "exec_tmp": exec_tmp,
    "net": sorted(line.split(":")[0].strip() for line in read("/proc/net/dev").splitlines()[2:]),
    "nofile": limits.get("Max open files"), "fsize": limits.get("Max file size"),
    "core": limits.get("Max core file size"),
    "memory": cgroup("memory.limit_in_bytes", "memory.max"),
    "pids": cgroup("pids.max"),
}), flush=True)


class Probe(Strategy):
    def init(self):
        pass

    def next(self):
        pass
'''


@pytest.fixture(scope="module")
def probe(goog):
    sandbox = require_docker()
    assert sandbox.pool is None  # a one-shot container, as a cold run gets
    limits = Limits(timeout_s=60, memory_mb=768, pids=64, scratch_mb=32)
    res = sandbox.run(RunRequest(code=PROBE, data=goog, limits=limits, restricted=False,
                                 options=BacktestOptions(cash=10_000)))
    assert res.status == "ok", (res.error, res.stdout_tail[-2000:])
    line = next(ln for ln in res.stdout_tail.splitlines() if ln.startswith("PROBE "))
    return json.loads(line[6:]), limits


def test_runs_as_a_non_root_user_with_no_capabilities_and_no_new_privileges(probe):
    got, _ = probe
    assert got["uid"] == got["euid"] == 10001 and got["gid"] == 10001
    assert int(got["cap_eff"], 16) == 0 and int(got["cap_bnd"], 16) == 0
    assert got["no_new_privs"] == "1"


def test_the_root_is_read_only_and_tmp_a_capped_noexec_tmpfs(probe):
    got, limits = probe
    assert got["root_opts"] and "ro" in got["root_opts"][0]
    assert got["root_write"] in ("OSError", "PermissionError")  # EROFS
    assert got["tmp_type"] == ["tmpfs"]
    opts = got["tmp"][0]
    assert {"rw", "noexec", "nosuid", "nodev"} <= set(opts), opts
    assert f"size={limits.scratch_mb * 1024}k" in opts, opts
    assert got["exec_tmp"] == "PermissionError"  # a script written to /tmp cannot run


def test_no_network_but_loopback(probe):
    got, _ = probe
    assert got["net"] == ["lo"]


def test_file_limits_and_cgroup_caps(probe):
    got, limits = probe
    assert got["nofile"] == [str(limits.nofile)] * 2 and limits.nofile <= 1024  # the container: 1024
    cap = str(limits.scratch_mb * 1024 * 1024)
    assert got["fsize"] == [cap, cap]
    assert got["core"] == ["0", "0"]
    assert got["memory"] == str(limits.memory_mb * 1024 * 1024)
    assert got["pids"] == str(limits.pids)

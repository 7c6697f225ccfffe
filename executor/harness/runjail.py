"""Per-run namespaces inside the local sandbox's jail (see executor/backends/local/jail.py).

The fork server runs inside bubblewrap's minimal root. For each run it forks a child
that calls :func:`enter`, which returns only in the harness parent of a fresh,
private world::

    run process (R)  -- the fork server's child; joined to the run's cgroup by the host
      unshare(pid, mount, ipc, uts, net)
      └─ init (I, pid 1)  -- mounts /proc, /tmp, /dev/shm; drops to the run's uid;
           │                 reaps orphans; exits when the harness exits
           └─ harness parent (H) -> workers -> whatever strategy code forks

When I exits (the harness finished, or R was killed: I has PDEATHSIG), the kernel kills
every process left in the pid namespace: a re-forking or setsid'd process cannot
outlive its run. System V IPC objects die with the IPC namespace; /tmp and /dev/shm are
fresh tmpfs per run; there is no network device but a down loopback; /proc shows only
the run's own processes.
"""

from __future__ import annotations

import os
import select
import signal
from typing import Any

from executor.harness import isolate as iso

CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
RUN_FLAGS = iso.CLONE_NEWNS | iso.CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID
PR_CAPBSET_DROP = 24


def enter(opts: dict[str, Any]) -> dict[str, Any]:
    """Become the harness parent of a fresh run world; return the isolation report.
    Never returns in R or I (they ``os._exit``)."""
    go = os.read(0, 1)  # the host writes this after moving us into the run's cgroup
    if go != b"G":
        os._exit(4)
    iso._check(iso._libc.unshare(RUN_FLAGS), "unshare(pid, mount, ipc, uts, net)")
    alive_r, alive_w = os.pipe()
    pid = os.fork()
    if pid:
        _run_process(pid, alive_r)
    os.close(alive_w)
    report = _build_world(opts)
    harness = os.fork()
    if harness:
        _init(harness, alive_r, int(report["uid"]), int(opts.get("gid", 65534)))
    os.close(alive_r)
    if opts.get("nproc_rlimit"):
        iso._plain_limits(opts)  # no run cgroup: RLIMIT_NPROC on the run's own uid instead
    _drop_privileges(int(report["uid"]), int(opts.get("gid", 65534)))
    os.chdir("/tmp/work")
    return report


def _run_process(child: int, alive_r: int) -> None:
    """R: outside the new pid namespace; holds the write end of ``alive`` until it dies."""
    os.close(alive_r)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _, status = os.waitpid(child, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _build_world(opts: dict[str, Any]) -> dict[str, Any]:
    uid = int(opts.get("uid", 65534))
    gid = int(opts.get("gid", 65534))
    scratch = int(opts.get("scratch_mb", 100))
    iso._mount(None, "/", None, iso.MS_REC | iso.MS_PRIVATE, None)
    iso._mount("proc", "/proc", "proc", iso.MS_NOSUID | iso.MS_NODEV | 8, None)  # 8 = MS_NOEXEC
    report: dict[str, Any] = {}
    iso._fresh_tmpfs("/tmp", scratch, report)
    if os.path.isdir("/dev/shm"):
        iso._fresh_tmpfs("/dev/shm", scratch, report)
    os.makedirs("/tmp/work", exist_ok=True)
    real_root = os.geteuid() == 0 and not opts.get("userns")
    if real_root and uid != 0:
        os.chown("/tmp/work", uid, gid)
    name = b"sandbox"
    iso._libc.sethostname(name, len(name))
    report.update({
        "jail": "bwrap",
        "namespaces": ["pid", "mount", "ipc", "uts", "net"] + (["user"] if opts.get("userns") else []),
        "network_namespace": True,
        "mount_namespace": True,
        "pid_namespace": True,
        "ipc_namespace": True,
        "readonly_root": True,
        "root": "minimal (bwrap): /usr, the interpreter, its site-packages, executor/",
        "private_tmp": True,
        "workdir": "/tmp/work (tmpfs)",
        "uid": uid if real_root else os.geteuid(),
        "user": f"unprivileged uid {uid} (this run only)" if real_root
                else "root of a user namespace, no capabilities",
        "init": "pid 1 reaper; its exit kills the namespace",
    })
    return report


def _init(harness: int, alive_r: int, uid: int, gid: int) -> None:
    """I: pid 1 of the run. Reap everything; exit with the harness's status."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in range(0, 3):
        os.dup2(null, fd)
    os.closerange(3, alive_r)
    os.closerange(alive_r + 1, 1024)
    try:  # the cgroup's OOM killer takes a worker or the harness, never the reaper
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("-1000")
    except OSError:
        pass
    _drop_privileges(uid, gid)
    iso.die_with_parent()  # armed after the uid change (which would clear it)
    if select.select([alive_r], [], [], 0)[0]:  # R died before: nobody would kill us
        os._exit(5)
    code = 3
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == harness:
            code = os.waitstatus_to_exitcode(status) & 0xFF
            break
    os._exit(code)  # pid 1 exits: the kernel SIGKILLs the rest of the namespace


def _drop_privileges(uid: int, gid: int) -> None:
    if os.geteuid() == 0 and uid != 0 and _in_initial_userns():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    else:  # a user namespace maps one uid only: drop every capability instead
        for cap in range(64):
            if iso._libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                break
        _clear_caps()
    iso.make_nondumpable()


def _in_initial_userns() -> bool:
    try:
        with open("/proc/self/uid_map") as fh:
            first = fh.read().split()
        return first[:3] == ["0", "0", "4294967295"]
    except OSError:
        return False


def _clear_caps() -> None:
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    hdr = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    iso._check(iso._libc.capset(ctypes.byref(hdr), ctypes.byref(data)), "capset")


def selftest() -> None:
    """Exit 0 when a run's namespaces and mounts can be made here (the jail's probe)."""
    iso._check(iso._libc.unshare(RUN_FLAGS), "unshare(pid, mount, ipc, uts, net)")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            iso._mount(None, "/", None, iso.MS_REC | iso.MS_PRIVATE, None)
            iso._mount("proc", "/proc", "proc", iso.MS_NOSUID | iso.MS_NODEV, None)
            iso._mount("tmpfs", "/tmp", "tmpfs", iso.MS_NOSUID | iso.MS_NODEV, "size=1m")
        except OSError as exc:
            os.write(2, f"per-run namespaces: {exc}\n".encode())
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    raise SystemExit(os.waitstatus_to_exitcode(status))

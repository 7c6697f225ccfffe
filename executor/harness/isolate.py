"""Process isolation for the local sandbox, applied by the harness to itself at start-up.

With bubblewrap available, LocalSandbox runs the harness in a jail and per-run
namespaces instead (:mod:`executor.backends.local.jail`, :mod:`executor.harness.runjail`) and
this module only supplies their helpers. Without it (the fallback, reported as such),
before it reads a byte of the request, the harness (started by LocalSandbox in a new
session) tries, in order:

* as root: new network + mount namespaces; every mount re-bound read-only; fresh
  size-capped tmpfs on /tmp, /var/tmp, /dev/shm and /run/lock; chdir into /tmp/work;
  then drop to an unprivileged uid/gid (``nobody``) with no supplementary groups;
* not root: the same inside an unprivileged user namespace when the kernel allows it;
* otherwise: nothing beyond rlimits, and the report says so.

The report (``RunResult.isolation``) states exactly what was in force.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
WRITABLE_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
SKIP_RO = ("/proc", "/sys", "/dev")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies (a killed harness leaves no strays)."""
    try:
        _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
    except (AttributeError, OSError):
        pass


def make_nondumpable() -> None:
    try:
        _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    except (AttributeError, OSError):
        pass


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    rc = _libc.mount(
        src.encode() if src else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(rc, f"mount {target}")


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            parts = line.split()
            points.append(parts[4].replace("\\040", " "))
    return points


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def isolate(opts: dict[str, Any]) -> dict[str, Any]:
    """Apply what the platform allows; return the isolation report.

    ``{"jailed": report}``: the run already lives in its own namespaces inside the
    bubblewrap jail (see :mod:`executor.harness.runjail`); nothing is left to do."""
    if "jailed" in opts:
        return dict(opts["jailed"])
    report: dict[str, Any] = {
        "network_namespace": False,
        "mount_namespace": False,
        "readonly_root": False,
        "private_tmp": False,
        "user": "unchanged",
        "uid": os.getuid(),
        "rlimits": True,
        "notes": [],
    }
    uid, gid = int(opts.get("uid", 65534)), int(opts.get("gid", 65534))
    scratch_mb = int(opts.get("scratch_mb", 100))
    as_root = os.geteuid() == 0
    try:
        if as_root:
            _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
        else:
            outer_uid, outer_gid = os.getuid(), os.getgid()
            _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET), "unshare(user)")
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {outer_uid} 1")
            _write("/proc/self/gid_map", f"0 {outer_gid} 1")
            report["user"] = f"user-namespace (outside uid {outer_uid})"
        report["network_namespace"] = True
        report["mount_namespace"] = True
    except OSError as exc:
        report["notes"].append(f"no namespaces: {exc}")
        _plain_limits(opts)
        return report
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
        _readonly_everything(report)
        report["readonly_root"] = True
        for point in WRITABLE_TMP:
            if os.path.isdir(point):
                size = scratch_mb if point in ("/tmp", "/dev/shm") else 8
                _fresh_tmpfs(point, size, report)
        if as_root:
            exposed = _expose_python(int(opts.get("uid", 65534)))
            if exposed:
                report.setdefault("exposed_read_only", []).extend(exposed)
        os.makedirs("/tmp/work", exist_ok=True)
        if as_root:
            os.chown("/tmp/work", uid, gid)
        os.chdir("/tmp/work")
        report["private_tmp"] = True
        report["workdir"] = "/tmp/work (tmpfs)"
    except OSError as exc:
        report["notes"].append(f"mount setup incomplete: {exc}")
    if as_root:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        report["user"] = "nobody" if uid == 65534 else f"unprivileged uid {uid} (this run only)"
        report["uid"] = uid
    _plain_limits(opts)
    return report


def _plain_limits(opts: dict[str, Any]) -> None:
    pids = int(opts.get("pids", 0) or 0)
    if pids:
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (pids, pids))
        except (ValueError, OSError):
            pass


def _fresh_tmpfs(point: str, size_mb: int, report: dict[str, Any]) -> None:
    """An empty tmpfs over ``point``, keeping (read-only) whatever the interpreter needs
    from below it: a virtualenv or a checkout under /tmp must stay importable."""
    keep = [p for p in _needed_paths() if p.startswith(point.rstrip("/") + "/")]
    keep = [p for p in keep if not any(p != q and p.startswith(q + "/") for q in keep)]
    fds = {p: os.open(p, os.O_PATH) for p in keep}
    try:
        _mount("tmpfs", point, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_mb}m,mode=1777")
        for path, fd in fds.items():
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "w").close()
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None)
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, None)
            report.setdefault("exposed_read_only", []).append(path)
    finally:
        for fd in fds.values():
            os.close(fd)


def _readonly_everything(report: dict[str, Any]) -> None:
    for point in _mount_points():
        if point.startswith(SKIP_RO):
            continue
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, None)
        except OSError:
            try:
                _mount(point, point, None, MS_BIND, None)
                _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, None)
            except OSError as exc:
                report["notes"].append(f"{point} stays writable: {exc.strerror}")


def _needed_paths() -> list[str]:
    import sys

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, here,
             os.path.dirname(sys.executable), os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(p for p in sys.path if p)
    return sorted({os.path.realpath(p) for p in paths if os.path.exists(p)} | {
        os.path.abspath(p) for p in paths if os.path.exists(p)})


def _blocked_by(path: str, uid: int) -> tuple[str, str] | None:
    """The first ancestor directory of ``path`` the sandbox user cannot traverse, and the
    child entry below it on the way to ``path``."""
    import stat

    parts = path.strip("/").split("/")
    cur = "/"
    for part in parts:
        st = os.stat(cur)
        can = st.st_mode & stat.S_IXOTH or (st.st_uid == uid and st.st_mode & stat.S_IXUSR)
        if not can:
            return cur, part
        cur = os.path.join(cur, part)
    return None


def _expose_python(uid: int) -> list[str]:
    """Make the interpreter, its stdlib and site-packages reachable for the unprivileged
    user without changing the host: a directory it cannot traverse (e.g. /root holding
    pyenv) is covered, in this mount namespace only, by a read-only tmpfs that contains
    read-only binds of just the needed entries."""
    exposed: list[str] = []
    for _ in range(8):  # nested blocked directories are handled one level per round
        blocked: dict[str, set[str]] = {}
        for path in _needed_paths():
            hit = _blocked_by(path, uid)
            if hit:
                blocked.setdefault(hit[0], set()).add(hit[1])
        if not blocked:
            return exposed
        for n, (directory, children) in enumerate(sorted(blocked.items())):
            stage = f"/tmp/.rbi-stage-{len(exposed)}-{n}"
            os.makedirs(stage, exist_ok=True)
            staged = []
            for i, child in enumerate(sorted(children)):
                src = os.path.join(directory, child)
                dst = os.path.join(stage, str(i))
                if os.path.isdir(src):
                    os.makedirs(dst, exist_ok=True)
                else:
                    open(dst, "w").close()
                _mount(src, dst, None, MS_BIND | MS_REC, None)
                staged.append((child, dst, os.path.isdir(src)))
            _mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
            for child, dst, is_dir in staged:
                target = os.path.join(directory, child)
                if is_dir:
                    os.makedirs(target, exist_ok=True)
                else:
                    open(target, "w").close()
                _mount(dst, target, None, MS_BIND | MS_REC, None)
                _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, None)
                _libc.umount2(dst.encode(), 2)  # MNT_DETACH the staging bind
                exposed.append(target)
            _mount(None, directory, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
            import shutil

            shutil.rmtree(stage, ignore_errors=True)
    return exposed

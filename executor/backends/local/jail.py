"""The local sandbox's jail: bubblewrap builds a minimal root for the fork server.

The fork server (:mod:`executor.harness.zygote`) is started inside ``bwrap`` with its
own network, IPC and UTS namespaces and a root that holds only:

* ``/usr`` (the dynamic loader, libc and the other shared libraries; merged-/usr
  symlinks for /bin, /lib, /lib64, /sbin), with any checkout below it covered;
* the interpreter's prefix, the virtualenv / site-packages on ``sys.path``, and the
  ``executor`` package directory of this checkout (read-only, at their own paths);
* a private ``/proc``, a minimal ``/dev`` and an empty tmpfs ``/tmp``.

No /etc, /home, /root, /run, /var, the project's ``results/``, other checkouts or host
unix sockets. Each run the fork server starts then gets FRESH pid, mount, IPC, UTS and
network namespaces of its own inside this root (see :mod:`executor.harness.runjail`).

:func:`probe` says once per process whether bwrap works here, and what to do if not.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE_DIR = str(Path(__file__).resolve().parents[2])  # .../executor
CHECKOUT = str(Path(PACKAGE_DIR).parent)
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`; "
                "Fedora: `dnf install bubblewrap`)")
USERNS_HINT = ("bubblewrap could not create namespaces here: inside a container run it "
               "privileged or with a seccomp/AppArmor profile that allows unshare(2); as a "
               "normal user enable unprivileged user namespaces "
               "(`sysctl kernel.unprivileged_userns_clone=1`, on Ubuntu 24.04+ "
               "`sysctl kernel.apparmor_restrict_unprivileged_userns=0`), or run as root")


def bwrap_path() -> str | None:
    """``RBI_BWRAP`` names the binary (a path); else ``bwrap`` on PATH or in /usr/bin."""
    chosen = os.environ.get("RBI_BWRAP")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("bwrap", path=os.environ.get("PATH", "") + ":/usr/bin:/bin")


def _needed(python: str) -> list[str]:
    """Directories the interpreter needs, outside /usr, most general first."""
    out = subprocess.run(
        [python, "-I", "-c",
         "import sys, os, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix,"
         " os.path.dirname(os.path.realpath(sys.executable)), *[p for p in sys.path if p]]))"],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    import json

    paths = json.loads(out.stdout) if out.returncode == 0 else [sys.prefix, sys.base_prefix]
    paths.append(os.path.dirname(python))
    found: set[str] = set()
    for p in paths:
        for q in (os.path.abspath(p), os.path.realpath(p)):
            if os.path.isdir(q):
                found.add(q)
            elif os.path.exists(q):  # a zip on sys.path
                found.add(q)
    keep = sorted(found)
    # nested paths are covered by their ancestor's bind
    keep = [p for p in keep if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in keep)]
    return [p for p in keep if not (p == "/usr" or p.startswith("/usr/"))]


def _under(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")


@functools.lru_cache(maxsize=8)
def bwrap_argv(python: str) -> tuple[str, ...]:
    """The ``bwrap ...`` prefix that starts ``python`` in the minimal root."""
    bwrap = bwrap_path()
    if not bwrap:
        raise FileNotFoundError(f"bwrap not found: {INSTALL_HINT}")
    argv = [bwrap, "--unshare-net", "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox",
            "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        # caps inside the user namespace only: the fork server needs them to give each
        # run its own namespaces and mounts (see executor.harness.runjail)
        argv += ["--unshare-user", "--uid", "0", "--gid", "0"]
    argv += ["--cap-add", "ALL"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "libx32", "sbin"):
        top = f"/{name}"
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    needed = _needed(python)
    outside = [p for p in needed if not _under(p, CHECKOUT)]
    inside = [p for p in needed if _under(p, CHECKOUT) and p != CHECKOUT and not _under(p, PACKAGE_DIR)]
    # a checkout inside a bound tree (a prefix holding it) is covered by an empty tmpfs,
    # then only its executor/ and what the interpreter needs from it (.venv) come back
    covered = any(_under(CHECKOUT, p) for p in [*outside, "/usr"])
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/etc"]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    parents: list[str] = []
    for p in [*outside, PACKAGE_DIR, *inside]:
        parent = os.path.dirname(p)
        while parent not in ("/", "", "/tmp") and not any(_under(parent, q) for q in ["/usr", *outside]):
            parents.insert(0, parent)
            parent = os.path.dirname(parent)
    for d in dict.fromkeys(sorted(parents, key=len)):
        argv += ["--perms", "0755", "--dir", d]  # not the host's mode (/root is 0700)
    for p in outside:
        argv += ["--ro-bind", p, p]
    if covered:
        argv += ["--tmpfs", CHECKOUT]
    for p in [PACKAGE_DIR, *inside]:
        argv += ["--ro-bind", p, p]
    argv += ["--remount-ro", "/", "--chdir", "/tmp", "--"]
    return tuple(argv)


@functools.lru_cache(maxsize=8)
def probe(python: str) -> str | None:
    """None when the jail works here; else why not, and what to do."""
    try:
        argv = bwrap_argv(python)
    except FileNotFoundError as exc:
        return str(exc)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return f"could not work out the jail's root ({exc})"
    try:
        test = (f"import sys; sys.path.insert(0, {CHECKOUT!r}); "
                "from executor.harness.runjail import selftest; selftest()")
        done = subprocess.run([*argv, python, "-I", "-c", test],
                              capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap did not run ({exc}): {INSTALL_HINT}"
    if done.returncode != 0:
        err = (done.stderr.strip().splitlines() or ["no message"])[-1][:300]
        return f"bwrap failed ({err}): {USERNS_HINT}"
    return None

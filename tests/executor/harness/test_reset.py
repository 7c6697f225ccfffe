"""executor/harness/reset.py pieces that are safe outside a container: wiping a scratch
directory (a locked directory included) and reading /proc/sysvipc. (kill_others runs
only as PID 1 of a container: tests/executor/backends/docker/test_docker_reuse.py.)"""

from __future__ import annotations

import os

from executor.harness import reset


def test_wipe_empties_the_directory_but_keeps_it(tmp_path):
    (tmp_path / "a").write_text("x")
    deep = tmp_path / "locked" / "inner"
    deep.mkdir(parents=True)
    (deep / "f").write_text("x")
    os.chmod(tmp_path / "locked", 0)
    os.symlink("/etc/passwd", tmp_path / "link")
    assert reset.wipe(str(tmp_path)) == 5
    assert tmp_path.is_dir() and os.listdir(tmp_path) == []
    assert os.path.exists("/etc/passwd")  # a symlink is removed, never followed


def test_sysv_ids_reads_the_id_column(tmp_path, monkeypatch):
    table = tmp_path / "shm"
    table.write_text("       key      shmid perms\n  12345   7  600\n  0  9  600\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: real_open(table if p == "/proc/sysvipc/shm" else p, *a, **k))
    assert reset.sysv_ids("shm") == [7, 9]

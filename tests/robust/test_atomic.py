"""Atomic writes: full disk, stale temps after a kill, file modes (issue 9, failures 6 and 8)."""
from __future__ import annotations

import errno
import io
import os
import socket
import stat
import subprocess
import sys

import pytest
import torch

import svit.utils.atomic as atomic
from svit.checkpoint import save_checkpoint
from svit.utils.atomic import DiskFullError, atomic_open, atomic_write_text, clean_stale_temps


class _FullDisk(io.RawIOBase):
    """A file that accepts ``limit`` bytes, then fails like a full disk (ENOSPC)."""

    def __init__(self, fd: int, limit: int) -> None:
        self.raw = os.fdopen(fd, "wb")
        self.limit, self.n = limit, 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        if self.n + len(b) > self.limit:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.n += len(b)
        return self.raw.write(b)

    def fileno(self) -> int:
        return self.raw.fileno()

    def close(self) -> None:
        self.raw.close()
        super().close()


def test_disk_full_names_path_and_removes_temp(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_fdopen", lambda fd, mode: _FullDisk(fd, 4096))
    path = tmp_path / "checkpoints" / "checkpoint_epoch_00001.pyth"
    model = torch.nn.Linear(100, 100)
    with pytest.raises(DiskFullError) as info:
        save_checkpoint(str(path), model, 1)
    msg = str(info.value)
    assert str(path) in msg and "disk is full" in msg
    assert "unexpected pos" not in msg
    assert os.listdir(path.parent) == []  # neither the final file nor the temp


def test_other_errors_are_not_called_disk_full(tmp_path):
    path = tmp_path / "a.txt"
    with pytest.raises(ValueError, match="boom"):
        with atomic_open(path, "w") as f:
            f.write("x")
            raise ValueError("boom")
    assert os.listdir(tmp_path) == []


def test_stale_temp_of_killed_writer_is_removed_on_next_save(tmp_path):
    path = tmp_path / "checkpoint_epoch_00002.pyth"
    # a writer that is killed mid-write: a real process, whose pid is dead afterwards
    code = (
        "import os,signal,sys; sys.path.insert(0, %r)\n"
        "from svit.utils.atomic import atomic_open\n"
        "with atomic_open(%r, 'wb') as f:\n"
        "    f.write(b'x' * 100000); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
    ) % (os.getcwd(), str(path))
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == -9
    temps = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(temps) == 1 and not path.exists()
    # a temp of a live writer (this process) and of another file are left alone
    live = tmp_path / f".{path.name}.{atomic._host()}.{os.getpid()}.abc.tmp"
    other = tmp_path / f".other.pyth.{atomic._host()}.999999999.abc.tmp"
    live.write_bytes(b"")
    other.write_bytes(b"")
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    left = sorted(n for n in os.listdir(tmp_path) if n.endswith(".tmp"))
    assert left == sorted([live.name, other.name])


def test_stale_temp_of_other_host_removed_only_when_old(tmp_path):
    path = tmp_path / "r.json"
    t = tmp_path / ".r.json.otherhost.12.abc.tmp"
    t.write_bytes(b"")
    assert clean_stale_temps(path) == []
    old = os.path.getmtime(t) - atomic.STALE_SECONDS - 10
    os.utime(t, (old, old))
    assert clean_stale_temps(path) == [str(t)]
    assert socket.gethostname()  # the own host is used for the name


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_files_follow_the_umask(tmp_path, umask):
    prev = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "config.yaml", "a: 1\n")
        save_checkpoint(str(tmp_path / "c.pyth"), torch.nn.Linear(2, 2), 1)
        with open(tmp_path / "plain.txt", "w") as f:  # what open() gives: the reference
            f.write("x")
    finally:
        os.umask(prev)
    want = stat.S_IMODE(os.stat(tmp_path / "plain.txt").st_mode)
    assert want == 0o666 & ~umask
    for name in ("config.yaml", "c.pyth"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == want, name

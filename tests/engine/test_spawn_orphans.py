"""A launcher killed alone takes its spawned ranks with it (Linux), instead of leaving them training on.

The launcher is started the way a shell script's background job is (``run_net.py ... &``): with SIGINT
ignored, which its ranks inherit, so torch's own SIGINT-on-parent-death does not end them.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")

RANK_BODY = '''
import os, time

def sleep_forever(cfg, device):
    import torch.distributed as dist
    with open(os.path.join(cfg.OUTPUT_DIR, f"rank{dist.get_rank()}.pid"), "w") as f:
        f.write(str(os.getpid()))
    while True:
        time.sleep(0.2)
'''

LAUNCHER = '''
import sys
sys.path.insert(0, {folder!r})
from ranks import sleep_forever
from svit.config import load_config
from svit.engine.launch import launch_job
cfg = load_config(None, ["NUM_CPU_PROCS", "2", "OUTPUT_DIR", {folder!r}])
launch_job(cfg, func=sleep_forever)
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ", 1)[1][0] != "Z"


def _wait(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_killing_the_launcher_ends_its_spawned_ranks(tmp_path):
    (tmp_path / "ranks.py").write_text(textwrap.dedent(RANK_BODY))
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER.format(folder=str(tmp_path))],
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    pid_files = [tmp_path / "rank0.pid", tmp_path / "rank1.pid"]
    try:
        started = _wait(lambda: all(p.is_file() and p.read_text() for p in pid_files), 240)
        assert started, "the two spawned ranks never started"
        ranks = [int(p.read_text()) for p in pid_files]
        assert all(_alive(pid) for pid in ranks)
        launcher.send_signal(signal.SIGKILL)  # the launcher alone: no process-group signal reaches the ranks
        launcher.wait(30)
        assert _wait(lambda: not any(_alive(pid) for pid in ranks), 30), "spawned ranks outlived their launcher"
    finally:
        launcher.kill()
        for p in pid_files:
            if p.is_file() and p.read_text():
                try:
                    os.kill(int(p.read_text()), signal.SIGKILL)
                except ProcessLookupError:
                    pass

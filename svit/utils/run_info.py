"""Where and how a measurement was taken, attached to every benchmark row.

Speed numbers are only comparable between runs on the same device, software and code, and on a host
that was not busy with something else. Each row therefore carries the device (GPU name or CPU model),
torch / CUDA / cuDNN versions, the git commit with a dirty flag, the command line and the host's load
average when the run started, so rows of different runs are never compared by mistake.
"""
from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown cpu"


def git_state(root: Path = REPO_ROOT) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the checkout holding this package; (None, None) outside git or without git."""
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()

    try:
        commit = run("rev-parse", "HEAD")
        dirty = bool(run("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, dirty


def host_load() -> list[float] | None:
    """1, 5 and 15 minute load averages (``os.getloadavg``); ``None`` where the OS has none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def run_info(device: Any = None, argv: list[str] | None = None) -> dict[str, Any]:
    """The fields above for a run on ``device`` (a ``torch.device`` or string; CUDA adds the GPU name)."""
    import torch

    dev = torch.device(device) if device is not None else torch.device("cpu")
    gpu = torch.cuda.get_device_name(dev) if dev.type == "cuda" else None
    commit, dirty = git_state()
    argv = list(sys.argv if argv is None else argv)
    return {
        "device_name": gpu or cpu_model(),
        "cpu_model": cpu_model(),
        "gpu_name": gpu,
        "host": platform.node(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "python": platform.python_version(),
        "git_commit": commit,
        "git_dirty": dirty,
        "command": shlex.join([sys.executable, *argv]),
        "loadavg": host_load(),
        "cpu_count": os.cpu_count(),
    }

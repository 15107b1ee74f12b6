"""Starting a run: one process, torchrun, or PySlowFast-style spawning.

* torchrun: RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR come from the environment (env://).
* spawning: NUM_GPUS processes per machine (NUM_CPU_PROCS when NUM_GPUS is 0) joined through
  ``--init_method`` (tcp://host:port or file://path); rank = SHARD_ID * per_machine + local rank.
* NUM_GPUS 0 and NUM_CPU_PROCS 1 on one shard: the run happens in this process, no process group.
NCCL is used on GPU and gloo on CPU unless DIST_BACKEND says otherwise.
"""
from __future__ import annotations

import datetime
import os
import signal
import socket
import sys
from typing import Any, Callable, Sequence

import torch
import torch.distributed as dist
from fvcore.common.config import CfgNode

from svit.checkpoint import CheckpointError
from svit.config import ConfigError, load_config, validate_world_size
from svit.config.parts import load_parts
from svit.engine.errors import RunError
from svit.engine.launch_args import parse_args
from svit.engine.run import check_run_config, run_phases
from svit.utils.distributed import procs_per_machine

# Exit codes: bad configuration input vs. a run that had to stop.
EXIT_CONFIG, EXIT_RUN = 2, 1


def backend_for(cfg: CfgNode) -> str:
    if cfg.DIST_BACKEND != "auto":
        return cfg.DIST_BACKEND
    return "nccl" if cfg.NUM_GPUS > 0 else "gloo"


def device_for(cfg: CfgNode, local_rank: int) -> torch.device:
    if cfg.NUM_GPUS > 0:
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def _check_hardware(cfg: CfgNode) -> None:
    if cfg.NUM_GPUS > 0 and not torch.cuda.is_available():
        raise ConfigError(f"NUM_GPUS is {cfg.NUM_GPUS} but CUDA is not available; use NUM_GPUS 0 for CPU.")
    if cfg.NUM_GPUS > torch.cuda.device_count() > 0:
        raise ConfigError(f"NUM_GPUS is {cfg.NUM_GPUS} but this machine has {torch.cuda.device_count()} GPUs.")


def in_torchrun() -> bool:
    """True when started by torchrun (or any env:// launcher)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def _run_in_group(func: Callable, cfg: CfgNode, local_rank: int, rank: int, world: int, init_method: str) -> Any:
    if cfg.NUM_GPUS == 0:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, procs_per_machine(cfg))))
    device = device_for(cfg, local_rank)
    dist.init_process_group(
        backend_for(cfg), init_method=init_method, world_size=world, rank=rank,
        timeout=datetime.timedelta(minutes=30),
    )
    try:
        return func(cfg, device)
    finally:
        dist.destroy_process_group()


def _die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGTERM this spawned process when its launcher dies.

    torch's spawn asks for SIGINT on the parent's death, but a process started in the background of a
    shell script (``python tools/run_net.py ... &``) inherits SIGINT ignored, and Python then keeps it
    ignored: a launcher killed alone (``kill PID``, a scheduler, the OOM killer) left its ranks training
    on, writing checkpoints and stats into a run folder nobody watches and holding the cores. SIGTERM is
    not ignored that way. Elsewhere a no-op.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # only here: the launcher's one libc call, Linux only

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the launcher died before the call above took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _spawned_worker(
    local_rank: int, func: Callable, cfg: CfgNode, init_method: str, per_machine: int, parent_pid: int
) -> None:
    """Entry of a spawned process; user-facing errors become an exit code plus one message line."""
    _die_with_parent(parent_pid)
    rank = cfg.SHARD_ID * per_machine + local_rank
    world = per_machine * cfg.NUM_SHARDS
    try:
        load_parts(cfg.PLUGINS)  # a spawned (not forked) process starts bare: the plugins register their parts again
        _run_in_group(func, cfg, local_rank, rank, world, init_method)
    except ConfigError as e:
        print(f"Config error (rank {rank}): {e}", file=sys.stderr, flush=True)
        sys.exit(EXIT_CONFIG)
    except (RunError, CheckpointError) as e:
        print(f"Error (rank {rank}): {e}", file=sys.stderr, flush=True)
        sys.exit(EXIT_RUN)


# Rendezvous a spawned run can use (env:// is torchrun's, taken before any spawning).
RENDEZVOUS_SCHEMES = ("tcp", "file")
# PySlowFast's rendezvous default; every machine of a multi-machine run must be given the same one.
SHARED_INIT_METHOD = "tcp://localhost:9999"


def default_init_method(cfg: CfgNode) -> str:
    """The rendezvous of spawned processes when ``--init_method`` is not given.

    On one machine a port the OS reports free on 127.0.0.1, so that two runs started side by side (two
    jobs of a sweep, tests under pytest-xdist, the CPU main job twice) never meet on one fixed port;
    across machines PySlowFast's fixed ``tcp://localhost:9999``, since all shards must name the same one.
    """
    if cfg.NUM_SHARDS > 1:
        return SHARED_INIT_METHOD
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def start_method_for(cfg: CfgNode) -> str:
    """How the ranks of a spawned run start: ``fork`` for CPU processes on Linux, else ``spawn``.

    A forked rank inherits the launcher's imported torch and svit instead of importing them again: the
    embedded main job (2 CPU processes) took its first step about 9 s after launch instead of 14-15 s on
    the quiet 2-core machine, and a 20-step run took 29 s instead of 45 s on the loaded one. The
    launcher has run no torch kernel by then, so no OpenMP pool is copied half-made, and every rank
    seeds its own random state (``RNG_SEED``) as a spawned one does. CUDA cannot be used across a fork
    and macOS frameworks are not fork-safe, so GPU runs and other systems keep ``spawn``.
    """
    linux = sys.platform.startswith("linux")
    return "fork" if cfg.NUM_GPUS == 0 and linux and not torch.cuda.is_initialized() else "spawn"


class SpawnedRunFailed(RuntimeError):
    """A spawned process exited with an error code (its message was printed by the process)."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(f"a spawned process exited with code {exit_code}")
        self.exit_code = exit_code


def launch_job(cfg: CfgNode, init_method: str | None = None, func: Callable | None = None) -> Any:
    """Runs ``func(cfg, device)`` (default: train then test) in the configured process layout; spawned
    processes meet at ``init_method`` (default: ``default_init_method``)."""
    if func is None:
        check_run_config(cfg)  # the task's, hooks' and test weights' requirements, before any process starts
        func = run_phases
    _check_hardware(cfg)
    if in_torchrun():
        world = int(os.environ["WORLD_SIZE"])
        validate_world_size(cfg, world)
        local_rank = int(os.environ.get("LOCAL_RANK", 0))
        return _run_in_group(func, cfg, local_rank, int(os.environ["RANK"]), world, "env://")
    per_machine = procs_per_machine(cfg)
    world = per_machine * cfg.NUM_SHARDS
    validate_world_size(cfg, world)
    if world == 1:
        return func(cfg, device_for(cfg, 0))
    import torch.multiprocessing as mp

    init_method = init_method or default_init_method(cfg)
    scheme = init_method.partition("://")[0]
    if scheme not in RENDEZVOUS_SCHEMES:  # refused here: in the spawned ranks it would be a traceback per rank
        raise ConfigError(f"--init_method {init_method!r}: expected tcp://HOST:PORT or file:///PATH")
    try:
        args = (func, cfg, init_method, per_machine, os.getpid())
        mp.start_processes(_spawned_worker, args=args, nprocs=per_machine, join=True,
                           start_method=start_method_for(cfg))
    except mp.ProcessExitedException as e:
        raise SpawnedRunFailed(e.exit_code or EXIT_RUN) from None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/run_net.py``: parse, load the config, launch; errors print one message, no traceback."""
    args = parse_args(argv)
    try:
        if not args.cfg_file:
            raise ConfigError("No config file given: pass --cfg FILE.")
        cfg = load_config(args.cfg_file, args.opts)
        launch_job(cfg, args.init_method)
    except ConfigError as e:
        print(f"Config error: {e}", file=sys.stderr)
        return EXIT_CONFIG
    except (RunError, CheckpointError) as e:
        print(f"Error: {e}", file=sys.stderr)
        return EXIT_RUN
    except SpawnedRunFailed as e:
        return e.exit_code
    return 0

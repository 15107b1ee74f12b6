"""Command line of tools/run_net.py (PySlowFast-compatible), read by ``svit.engine.launch``.

Accepts ``--cfg FILE KEY VALUE ...`` and ``--cfg FILE --opts KEY VALUE ...`` plus ``--init_method``,
``--num_shards`` and ``--shard_id`` (which override NUM_SHARDS / SHARD_ID) and ``--resume PATH``
(TRAIN.RESUME_FROM). It sits beside the launcher, not in ``svit.config``: it follows the tools' flag
convention (``svit.utils.cli``), which the config layer below may not import.
"""
from __future__ import annotations

import argparse
from typing import Sequence

from svit.utils.cli import parse_with_overrides


def build_parser(description: str = "svit: train and test video models") -> argparse.ArgumentParser:
    """run_net's options; KEY VALUE overrides may stand anywhere (``parse_args`` takes them out first)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--cfg", "--cfg_file", dest="cfg_file", default=None, help="yaml config file")
    p.add_argument("--init_method", default=None,
                   help="tcp://host:port or file:///path for spawned multi-process runs (default: a free "
                        "127.0.0.1 port on one machine, tcp://localhost:9999 across machines)")
    p.add_argument("--num_shards", type=int, default=None, help="number of machines (NUM_SHARDS)")
    p.add_argument("--shard_id", type=int, default=None, help="index of this machine (SHARD_ID)")
    p.add_argument("--resume", default=None, metavar="PATH",
                   help="resume training from this checkpoint of ours (sets TRAIN.RESUME_FROM): weights, "
                        "optimiser, epoch, EMA and hooks continue where it stopped")
    p.add_argument("--opts", nargs="*", default=[], help="KEY VALUE overrides (after the others)")
    p.add_argument("overrides", nargs="*", help="KEY VALUE overrides (anywhere on the line)")
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parsed args with ``opts`` = positional overrides followed by ``--opts`` ones; the pairs may stand
    before or after the options (``svit.utils.cli.split_overrides`` takes them out first)."""
    args = parse_with_overrides(build_parser(), argv)
    if args.num_shards is not None:
        args.opts += ["NUM_SHARDS", str(args.num_shards)]
    if args.shard_id is not None:
        args.opts += ["SHARD_ID", str(args.shard_id)]
    if args.resume:
        args.opts += ["TRAIN.RESUME_FROM", args.resume]
    return args

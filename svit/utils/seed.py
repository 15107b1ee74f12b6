"""Seeding of Python, NumPy, torch and data-loader workers.

The trainer reseeds at the start of every epoch from (RNG_SEED, epoch, rank): a run resumed at epoch
e then draws exactly the random numbers an uninterrupted run draws in epoch e, without having to
store RNG states in checkpoints.
"""
from __future__ import annotations

import random

import numpy as np
import torch


def derive_seed(*parts: int) -> int:
    """A 32-bit seed that depends on every part (order matters)."""
    ss = np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts])
    return int(ss.generate_state(1)[0])


def seed_everything(seed: int) -> None:
    """Seeds Python's ``random``, NumPy's global RNG and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def worker_init_fn(worker_id: int) -> None:
    """DataLoader worker hook: seeds ``random``/NumPy from torch's per-worker seed.

    torch gives every worker ``base_seed + worker_id``; NumPy and ``random`` would otherwise start
    identical in every forked worker and produce the same augmentations.
    """
    seed = torch.initial_seed() % (2**32)
    random.seed(seed)
    np.random.seed(seed)

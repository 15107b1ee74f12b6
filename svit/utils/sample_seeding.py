"""Per-sample seeding of data augmentation from (RNG_SEED, epoch, sample index).

Why: with NUM_WORKERS > 0 the augmentation randomness lives in the worker processes, whose RNG
streams depend on when the workers were started (persistent workers keep consuming one stream
across epochs). A run resumed at epoch e therefore augments differently from an uninterrupted run,
and so does a run with another NUM_WORKERS or world size. Seeding Python, NumPy and torch right
before each ``dataset[i]`` from (seed, epoch, i) makes every sample's augmentation a pure function
of those three numbers: identical for any worker count, process count, and after a resume.

Use: ``EpochTaggedSampler`` yields ``(epoch, index)`` keys (the DataLoader hands sampler output to
``dataset[key]`` unchanged, also inside persistent workers), and ``SeedPerSample`` reseeds, then
returns ``inner[index]``. In the main process (NUM_WORKERS 0) the global RNG states are restored
afterwards, so model-side randomness (dropout, mixing) is not coupled to the data.
"""
from __future__ import annotations

import random
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler, get_worker_info

from svit.utils.seed import derive_seed


class EpochTaggedSampler(Sampler):
    """Wraps an index sampler with ``set_epoch``; yields ``(epoch, index)`` pairs."""

    def __init__(self, sampler: Sampler[int]) -> None:
        self.sampler = sampler
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch = self.epoch
        return ((epoch, int(i)) for i in self.sampler)

    def __len__(self) -> int:
        return len(self.sampler)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "sampler":
            raise AttributeError(name)
        return getattr(self.sampler, name)


def seed_all(seed: int) -> None:
    """Seeds ``random``, NumPy's global generator and torch's CPU generator.

    Only the CPU generator: ``torch.manual_seed`` would also queue a lazy seeding of every CUDA device,
    which records a Python stack trace on each call (~100x the cost of the seeding itself, once per
    sample); data augmentation draws nothing on CUDA."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.default_generator.manual_seed(seed)


class SeedPerSample(Dataset):
    """Dataset wrapper: ``ds[(epoch, i)]`` seeds from (base_seed, epoch, i) and returns ``inner[i]``.

    Plain integer keys are passed through unseeded (evaluation, tools). Every other attribute
    (``video_ids``, ``num_views``, ``class_names``...) is forwarded to the wrapped dataset.
    """

    def __init__(self, inner: Dataset, base_seed: int) -> None:
        self.inner = inner
        self.base_seed = int(base_seed)

    def __len__(self) -> int:
        return len(self.inner)  # type: ignore[arg-type]

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, tuple):
            return self.inner[key]
        epoch, index = key
        seed = derive_seed(self.base_seed, epoch, index)
        if get_worker_info() is not None:  # a worker's RNG serves only the data
            seed_all(seed)
            return self.inner[index]
        states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
        try:
            seed_all(seed)
            return self.inner[index]
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

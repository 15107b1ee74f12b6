"""``build_dataset`` / ``build_loader``: the one way the engine gets data.

The sampler's order is a function of (RNG_SEED, epoch) only, and each rank takes every
world_size-th index of it. Consequences the engine relies on:
  * a resumed run sees the same order as an uninterrupted one;
  * N processes with global batch B see, step for step, the same B samples as 1 process;
  * in evaluation every sample is visited exactly once across ranks (no padding duplicates).
"""
from __future__ import annotations

import math
import zlib
from typing import Iterator

import torch
from fvcore.common.config import CfgNode
from torch.utils.data import DataLoader, Dataset, Sampler

from svit.config.errors import ConfigError
from svit.data.collate import collate
from svit.data.registry import DATASET_REGISTRY
from svit.data.transforms.pipeline import ClipTransform
from svit.data.transforms.repeated import RepeatedClipTransform
from svit.utils.distributed import get_rank, get_world_size
from svit.utils.sample_seeding import EpochTaggedSampler, SeedPerSample
from svit.utils.seed import derive_seed, worker_init_fn


class EpochShardSampler(Sampler[int]):
    """Distributed-aware sampler seeded by (seed, epoch).

    Training (``shuffle``) truncates the permutation to a multiple of ``global_batch`` so every
    optimiser step is a full global batch on every rank. Evaluation keeps every index once.
    """

    def __init__(
        self,
        num_samples: int,
        shuffle: bool,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        global_batch: int | None = None,
    ) -> None:
        self.num_samples = num_samples
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.global_batch = global_batch
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by the trainer before each epoch; changes the order."""
        self.epoch = epoch

    def _indices(self) -> list[int]:
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(derive_seed(self.seed, self.epoch))
            order = torch.randperm(self.num_samples, generator=g).tolist()
        else:
            order = list(range(self.num_samples))
        if self.global_batch:
            order = order[: (len(order) // self.global_batch) * self.global_batch]
        return order[self.rank :: self.world_size]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices())

    def __len__(self) -> int:
        n = self.num_samples
        if self.global_batch:
            n = (n // self.global_batch) * self.global_batch
        return len(range(self.rank, n, self.world_size))


def build_dataset(cfg: CfgNode, split: str) -> Dataset:
    """The registered dataset for ``split``: TRAIN.DATASET for train/val, TEST.DATASET for test."""
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be train, val or test, got {split!r}")
    import svit.data  # noqa: F401  (registers every data source; cycle: the svit.data package imports this module)

    name = cfg.TEST.DATASET if split == "test" else cfg.TRAIN.DATASET
    key = "TEST.DATASET" if split == "test" else "TRAIN.DATASET"
    if name not in DATASET_REGISTRY:
        raise ConfigError(f"{key} '{name}' is not a registered dataset; known: {DATASET_REGISTRY.names()}")
    return DATASET_REGISTRY.get(name)(cfg, split)


def per_process_batch(global_batch: int, world_size: int, key: str, accum: int = 1) -> int:
    """``global_batch / (world_size * accum)``; ConfigError naming ``key`` when it does not divide."""
    if global_batch % (world_size * accum):
        raise ConfigError(
            f"{key} {global_batch} is not divisible by world size {world_size}"
            + (f" x TRAIN.GRAD_ACCUM_STEPS {accum}" if accum > 1 else "")
            + "."
        )
    return global_batch // (world_size * accum)


# Item keys that hold one entry per augmented sample under repeated augmentation.
_PER_SAMPLE_KEYS = ("inputs", "label", "boxes", "box_mask")


def use_repeated_augmentation(dataset: Dataset, num_samples: int) -> bool:
    """Makes a video clip dataset augment each loaded video ``num_samples`` times (AUG.NUM_SAMPLE);
    True when installed. Image datasets (co-training frames) are left alone; a video dataset
    without the clip transform is refused."""
    transform = getattr(dataset, "transform", None)
    if isinstance(transform, RepeatedClipTransform):
        transform = transform.base
    if isinstance(transform, ClipTransform):
        dataset.transform = RepeatedClipTransform(transform, num_samples)  # type: ignore[attr-defined]
        return True
    if hasattr(dataset, "num_views"):
        raise ConfigError(
            f"AUG.NUM_SAMPLE {num_samples} needs a clip dataset built on svit.data.video_dataset; "
            f"{type(dataset).__name__} has no ClipTransform to repeat."
        )
    return False


def collate_repeated(items: list[dict]) -> dict:
    """Batch of repeated-augmentation items: each video's ``N`` clips become ``N`` consecutive batch
    rows (PySlowFast's ``multiple_samples_collate``); ``index`` / ``view`` repeat per clip."""
    flat = []
    for item in items:
        n = int(item["inputs"].shape[0])
        for k in range(n):
            row = {key: (value[k] if key in _PER_SAMPLE_KEYS else value) for key, value in item.items()}
            if "num_bad" in row and k > 0:
                row["num_bad"] = 0  # counted once per loaded video
            flat.append(row)
    return collate(flat)


def build_loader(
    cfg: CfgNode,
    split: str,
    dataset: Dataset | None = None,
    global_batch_size: int | None = None,
) -> DataLoader:
    """DataLoader for ``split`` ("train", "val" or "test"); builds the dataset unless given.

    ``global_batch_size`` defaults to TRAIN.BATCH_SIZE (train, val) or TEST.BATCH_SIZE (test). In
    training the loader yields micro-batches of global / (world size x TRAIN.GRAD_ACCUM_STEPS).
    """
    if dataset is None:
        dataset = build_dataset(cfg, split)
    world, rank = get_world_size(), get_rank()
    train = split == "train"
    collate_fn = collate
    if train:
        gb = global_batch_size or cfg.TRAIN.BATCH_SIZE
        accum = cfg.TRAIN.GRAD_ACCUM_STEPS
        batch = per_process_batch(gb, world, "TRAIN.BATCH_SIZE", accum)
        if len(dataset) < gb:
            raise ConfigError(
                f"TRAIN.BATCH_SIZE {gb} is larger than the training set ({len(dataset)} samples): "
                "no full batch can be drawn."
            )
        sampler = EpochShardSampler(len(dataset), True, cfg.RNG_SEED, rank, world, global_batch=gb)
        # AUG.NUM_SAMPLE > 1: every loaded video yields that many clips (batches count videos).
        if int(cfg.AUG.NUM_SAMPLE) > 1 and use_repeated_augmentation(dataset, int(cfg.AUG.NUM_SAMPLE)):
            collate_fn = collate_repeated
        # Augmentation seeded per (RNG_SEED, epoch, index): exact resume with workers, and the same
        # samples for any NUM_WORKERS / world size (svit/utils/sample_seeding.py says why).
        sampler = EpochTaggedSampler(sampler)
        # The dataset's class name enters the seed so that two train loaders (video clips and the
        # co-training images) do not draw identical augmentation for equal indices.
        stream = zlib.crc32(type(dataset).__qualname__.encode())
        dataset = SeedPerSample(dataset, derive_seed(cfg.RNG_SEED, stream))
        workers = cfg.DATA_LOADER.NUM_WORKERS
    else:
        gb = global_batch_size or (cfg.TEST.BATCH_SIZE if split == "test" else cfg.TRAIN.BATCH_SIZE)
        batch = max(1, math.ceil(gb / world))
        sampler = EpochShardSampler(len(dataset), False, cfg.RNG_SEED, rank, world)
        workers = cfg.DATA_LOADER.NUM_WORKERS_VAL
        if workers < 0:
            workers = cfg.DATA_LOADER.NUM_WORKERS
    generator = torch.Generator()
    generator.manual_seed(derive_seed(cfg.RNG_SEED, rank, {"train": 0, "val": 1, "test": 2}[split]))
    kwargs = {}
    if workers > 0:
        kwargs = dict(
            persistent_workers=bool(cfg.DATA_LOADER.PERSISTENT_WORKERS),
            prefetch_factor=cfg.DATA_LOADER.PREFETCH_FACTOR,
            worker_init_fn=worker_init_fn,
        )
    return DataLoader(
        dataset,
        batch_size=batch,
        sampler=sampler,
        num_workers=workers,
        collate_fn=collate_fn,
        pin_memory=bool(cfg.DATA_LOADER.PIN_MEMORY) and torch.cuda.is_available(),
        drop_last=train,
        generator=generator,
        **kwargs,
    )

"""Sampler order, sharding, per-process batch, worker seeding and collate."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from svit.config import ConfigError, load_config
from svit.data import build_loader, collate
from svit.data.loader import EpochShardSampler


def test_collate_plural_keys_and_num_bad():
    items = [{"inputs": torch.zeros(3, 2, 4, 4), "label": i, "index": i, "view": 0, "num_bad": i,
              "boxes": torch.zeros(2, 4, 4), "box_mask": torch.zeros(2, 4, dtype=torch.bool)} for i in range(3)]
    b = collate(items)
    assert b["inputs"].shape == (3, 3, 2, 4, 4) and b["labels"].tolist() == [0, 1, 2]
    assert b["labels"].dtype == torch.int64 and b["box_mask"].dtype == torch.bool
    assert b["num_bad"] == 3 and b["index"].tolist() == [0, 1, 2] and "label" not in b
    img = collate([{"image": torch.zeros(3, 4, 4), "haog_boxes": torch.zeros(4, 4), "index": 0}])
    assert img["images"].shape == (1, 3, 4, 4) and img["num_bad"] == 0


def test_train_order_depends_on_epoch_and_shards_union_to_global_batch():
    one = EpochShardSampler(20, True, seed=3, global_batch=8)
    one.set_epoch(1)
    order1 = list(one)
    again = EpochShardSampler(20, True, seed=3, global_batch=8)
    again.set_epoch(1)
    assert list(again) == order1 and len(order1) == 16  # truncated to full global batches
    again.set_epoch(2)
    assert list(again) != order1
    shards = []
    for r in range(2):
        s = EpochShardSampler(20, True, seed=3, rank=r, world_size=2, global_batch=8)
        s.set_epoch(1)
        shards.append(list(s))
    for step in range(2):  # per-process batch 4: union of rank batches == the 1-process batch
        got = set(shards[0][step * 4:(step + 1) * 4]) | set(shards[1][step * 4:(step + 1) * 4])
        assert got == set(order1[step * 8:(step + 1) * 8])


def test_eval_sampler_visits_every_sample_once():
    seen = []
    for r in range(3):
        seen += list(EpochShardSampler(10, False, seed=0, rank=r, world_size=3))
    assert sorted(seen) == list(range(10))


class Noise(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return {"inputs": torch.zeros(1), "label": 0, "rand": float(np.random.rand()), "index": i}


def test_worker_seeding_and_persistent_workers():
    cfg = load_config(None, ["TRAIN.BATCH_SIZE", "2", "DATA_LOADER.NUM_WORKERS", "2"])
    loader = build_loader(cfg, "train", Noise())
    assert loader.persistent_workers and loader.num_workers == 2 and loader.drop_last
    values = [v for b in loader for v in b["rand"]]
    assert len(set(np.round(values, 12))) == len(values)  # workers do not repeat numpy streams
    loader2 = build_loader(cfg, "train", Noise())
    assert [v for b in loader2 for v in b["rand"]] == values  # seeded: reproducible


def test_per_process_batch_must_divide():
    cfg = load_config(None, ["TRAIN.BATCH_SIZE", "3", "DATA_LOADER.NUM_WORKERS", "0", "TRAIN.GRAD_ACCUM_STEPS", "2"])
    with pytest.raises(ConfigError, match="TRAIN.BATCH_SIZE 3"):
        build_loader(cfg, "train", Noise())

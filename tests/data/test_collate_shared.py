"""collate inside a DataLoader worker stacks into shared memory (no second copy when the batch is sent)
and gives exactly the batch the plain path gives in the main process."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from svit.data import collate


class Items(Dataset):
    """Items with every kind of value collate stacks: tensors of two dtypes, numpy arrays, scalars."""

    def __init__(self, ragged: bool = False) -> None:
        self.ragged = ragged

    def __len__(self) -> int:
        return 6

    def __getitem__(self, i: int) -> dict:
        g = torch.Generator().manual_seed(i)
        side = 5 + (i % 2 if self.ragged else 0)
        return {
            "inputs": torch.randn(3, 2, side, 5, generator=g),
            "box_mask": torch.rand(2, 4, generator=g) > 0.5,
            "meta": np.arange(4, dtype=np.float64) * i,
            "label": i % 3,
            "index": i,
            "num_bad": int(i == 4),
        }


def collate_and_probe(items: list[dict]) -> dict:
    """collate, plus where its stacked tensors live (read inside the worker that stacked them)."""
    batch = collate(items)
    batch["probe_shared"] = [batch[k].is_shared() for k in ("inputs", "box_mask", "meta")]
    return batch


def test_worker_collate_is_shared_and_equal_to_plain() -> None:
    data = Items()
    loader = DataLoader(data, batch_size=3, num_workers=1, collate_fn=collate_and_probe)
    got = list(loader)
    assert len(got) == 2
    for b, start in zip(got, (0, 3)):
        plain = collate([data[i] for i in range(start, start + 3)])
        assert b.pop("probe_shared") == [True, True, True]  # stacked into shared memory in the worker
        assert set(b) == set(plain)
        for k in ("inputs", "box_mask", "meta", "labels", "index"):
            assert b[k].dtype == plain[k].dtype and torch.equal(b[k], plain[k]), k
        assert b["num_bad"] == plain["num_bad"]
    assert not collate([data[0], data[1]])["inputs"].is_shared()  # the main process keeps private memory


def test_worker_collate_names_the_key_of_ragged_items() -> None:
    loader = DataLoader(Items(ragged=True), batch_size=2, num_workers=1, collate_fn=collate)
    with pytest.raises(RuntimeError, match="shape of 'inputs'"):
        next(iter(loader))

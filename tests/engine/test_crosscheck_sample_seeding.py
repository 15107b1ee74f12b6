"""Per-sample augmentation seeding: same augmentations for any NUM_WORKERS and after a 'resume'."""
from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler

from svit.utils.sample_seeding import EpochTaggedSampler, SeedPerSample


class RandomAug(Dataset):
    """Each item draws from all three global RNGs, like real augmentation pipelines do."""

    video_ids = ["a", "b"]

    def __len__(self) -> int:
        return 12

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.tensor([i, random.random(), float(np.random.rand()), float(torch.rand(()))])


def _epochs(num_workers: int, epochs: range, persistent: bool) -> list[torch.Tensor]:
    ds = SeedPerSample(RandomAug(), base_seed=3)
    g = torch.Generator().manual_seed(0)
    sampler = EpochTaggedSampler(RandomSampler(range(12), generator=g))
    loader = DataLoader(ds, batch_size=4, sampler=sampler, num_workers=num_workers,
                        persistent_workers=persistent and num_workers > 0)
    out = []
    for e in epochs:
        loader.sampler.set_epoch(e)
        rows = torch.cat(list(loader))
        out.append(rows[rows[:, 0].argsort()])  # order-independent view of the epoch
    return out


def test_augmentation_is_a_function_of_seed_epoch_and_index():
    straight = _epochs(0, range(2), persistent=False)
    workers = _epochs(2, range(2), persistent=True)
    resumed = _epochs(2, range(1, 2), persistent=True)  # a fresh process starting at epoch 1
    for a, b in zip(straight, workers):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(straight[1], resumed[0], rtol=0, atol=0)
    assert not torch.equal(straight[0][:, 1:], straight[1][:, 1:])  # epochs differ
    assert len(set(straight[0][:, 1].tolist())) == 12  # samples differ within an epoch


def test_main_process_rngs_are_restored_and_attributes_forwarded():
    ds = SeedPerSample(RandomAug(), base_seed=0)
    torch.manual_seed(11)
    np.random.seed(11)
    random.seed(11)
    expected = (torch.rand(()), np.random.rand(), random.random())
    torch.manual_seed(11)
    np.random.seed(11)
    random.seed(11)
    ds[(0, 5)]
    assert (torch.rand(()), np.random.rand(), random.random()) == expected
    assert ds.video_ids == ["a", "b"] and len(ds) == 12
    assert torch.equal(ds[(4, 7)], ds[(4, 7)]) and ds[3][0] == 3


def test_seed_all_seeds_the_cpu_streams_without_queueing_cuda_seeding():
    """seed_all gives the streams torch.manual_seed/random.seed/np.random.seed give, but leaves CUDA's
    lazy seeding alone (queueing it records a stack trace on every sample)."""
    from svit.utils.sample_seeding import seed_all

    torch.manual_seed(11)
    random.seed(11)
    np.random.seed(11)
    want = (random.random(), float(np.random.rand()), torch.rand(3))
    tracker = torch.cuda._lazy_seed_tracker
    before = tracker.manual_seed_all_cb
    tracker.manual_seed_all_cb = None  # start from an empty queue
    try:
        seed_all(11)
        got = (random.random(), float(np.random.rand()), torch.rand(3))
        assert tracker.manual_seed_all_cb is None
    finally:
        tracker.manual_seed_all_cb = before
    assert got[:2] == want[:2] and torch.equal(got[2], want[2])

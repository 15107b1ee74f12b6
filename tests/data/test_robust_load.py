"""load_robust: an unreadable training sample is replaced and counted once, however many replacements it
takes; evaluation never replaces; a broken dataset stops."""
from __future__ import annotations

import pytest

from svit.data.errors import SampleError
from svit.data.robust import BrokenDatasetError, load_robust, replacement_index


def loader(bad: set[int]):
    def load(i: int) -> dict:
        if i in bad:
            raise SampleError(f"/data/{i}.webm", str(i), "cannot be decoded")
        return {"index": i, "label": i % 3}
    return load


def test_a_sample_replaced_after_several_unreadable_tries_counts_once(caplog):
    n = 20
    first, second = replacement_index(4, 1, n), replacement_index(4, 2, n)
    item = load_robust(loader({4, first, second}), 4, n, max_attempts=10)
    assert item["index"] == replacement_index(4, 3, n) and item["label"] == item["index"] % 3
    assert item["num_bad"] == 1  # one sample could not be read as asked; it took 3 failures
    assert sum("skipping unreadable sample" in r.message for r in caplog.records) == 3  # each failure named


def test_a_readable_sample_counts_zero_and_evaluation_gets_a_placeholder():
    assert load_robust(loader(set()), 4, 20, max_attempts=10)["num_bad"] == 0
    ph = load_robust(loader({4}), 4, 20, max_attempts=10, substitute=False)
    assert ph["missing"] is True and ph["label"] == -1 and ph["index"] == 4 and ph["num_bad"] == 1


def test_a_run_of_failures_is_a_broken_dataset():
    with pytest.raises(BrokenDatasetError, match="3 samples in a row were unreadable"):
        load_robust(loader(set(range(20))), 0, 20, max_attempts=3)

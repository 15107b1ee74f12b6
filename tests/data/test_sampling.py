"""Temporal sampling follows spec svit.md §6.3 exactly (numpy half-to-even, inclusive ends)."""
import numpy as np
import pytest

from svit.data.sampling import dense_indices, segment_bounds, segment_indices


def test_segment_bounds_round_half_to_even():
    # L=9, 16 segments: s = 0.5; round(0.5*1)=0, round(1.5)=2, round(2.5)=2, round(3.5)=4
    b = segment_bounds(9, 16)
    assert b[:4].tolist() == [[0, 0], [0, 1], [1, 2], [2, 2]]
    assert b[-1].tolist() == [8, 8]


def test_segment_centre_is_floor_of_midpoint():
    L, T = 50, 16
    b = segment_bounds(L, T)
    idx = segment_indices(L, T, train=False)
    assert idx == [int(np.floor((a + c) / 2)) for a, c in b]


def test_segment_train_within_inclusive_bounds_and_reaches_both_ends():
    L, T = 33, 8
    b = segment_bounds(L, T)
    rng = np.random.default_rng(0)
    draws = np.array([segment_indices(L, T, train=True, rng=rng) for _ in range(400)])
    assert (draws >= b[:, 0]).all() and (draws <= b[:, 1]).all()
    assert (draws.min(0) == b[:, 0]).all() and (draws.max(0) == b[:, 1]).all()


def test_segment_views_differ_and_view0_of_1_is_centre():
    a = segment_indices(100, 8, train=False, view=0, num_views=2)
    c = segment_indices(100, 8, train=False, view=1, num_views=2)
    assert a != c and all(x < y for x, y in zip(a, c))
    assert segment_indices(100, 8, train=False, view=0, num_views=1) == segment_indices(100, 8, train=False)


def test_snippets_of_consecutive_frames_clamped_to_last():
    idx = segment_indices(12, 3, frames_per_segment=5, train=False)
    assert len(idx) == 15
    for k in range(3):
        snip = idx[5 * k : 5 * k + 5]
        assert snip == list(range(snip[0], snip[0] + 5))
    assert max(idx) <= 11
    short = segment_indices(3, 2, frames_per_segment=5, train=False)
    assert max(short) == 2 and len(short) == 10


def test_dense_train_and_test():
    rng = np.random.default_rng(1)
    for _ in range(50):
        idx = dense_indices(100, 8, 4, train=True, rng=rng)
        assert np.all(np.diff(idx) == 4) and idx[0] <= 100 - 29
    views = [dense_indices(100, 8, 4, train=False, view=k, num_views=3) for k in range(3)]
    assert [v[0] for v in views] == [0, 36, 71]
    assert dense_indices(10, 8, 4, train=False)[-1] == 9  # short video clamps


def test_bad_args():
    with pytest.raises(ValueError):
        segment_bounds(0, 4)
    with pytest.raises(ValueError):
        segment_indices(10, 4, train=False, view=2, num_views=2)


def test_training_draws_unchanged_by_the_bounds_cache():
    """The cached bounds give the same draws as computing them per clip, and callers cannot alter them."""
    for length in (5, 24, 37):
        for seed in range(5):
            b = segment_bounds(length, 8)
            want = np.random.default_rng(seed).integers(b[:, 0], b[:, 1] + 1).tolist()
            assert segment_indices(length, 8, 1, True, np.random.default_rng(seed)) == want
    b = segment_bounds(24, 8)
    b[:] = 0  # a copy: the cache is not touched
    assert segment_bounds(24, 8)[-1, 1] == 23

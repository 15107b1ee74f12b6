"""Training-step numbers read one step late (svit/engine/step_stats.py) and device-side top-k counts."""
from __future__ import annotations

import math

import pytest
import torch

from svit.engine.meters import topk_correct_counts
from svit.engine.step_stats import DeferredStepStats, StepAccumulator


def test_topk_counts_match_a_direct_count():
    g = torch.Generator().manual_seed(0)
    logits, labels = torch.randn(64, 9, generator=g), torch.randint(0, 9, (64,), generator=g)
    top = logits.argsort(-1, descending=True)
    want = [int((top[:, :k] == labels[:, None]).any(1).sum()) for k in (1, 2, 5)]
    got = topk_correct_counts(logits, labels, (1, 2, 5))
    assert got.dtype == torch.int64 and got.tolist() == want
    # k above the number of classes is capped: every row is a top-5 hit with 3 classes
    assert topk_correct_counts(logits[:, :3], labels.clamp(max=2)).tolist()[1] == 64


def _acc(terms: list[dict[str, float]], hits: list[list[int]] | None, n: int) -> StepAccumulator:
    acc = StepAccumulator(len(terms))
    for i, t in enumerate(terms):
        tt = {k: torch.tensor(v) for k, v in t.items()}
        loss = sum(tt.values())
        acc.add(tt, loss, None if hits is None else torch.tensor(hits[i]), n)
    return acc


def test_micro_batches_sum_into_one_step_and_steps_come_out_in_order():
    stats = DeferredStepStats(torch.device("cpu"))
    stats.push(_acc([{"ce": 2.0, "aux": 1.0}, {"ce": 4.0, "aux": 3.0}], [[1, 3], [2, 4]], 4), 0, 0, 0.1, 0.5, 1.0)
    assert [r.step for r in stats.pop()] == [0] and not stats.pending
    stats.push(_acc([{"ce": 1.0}], None, 4), 0, 1, 0.2, 0.0, 0.9)
    stats.push(_acc([{"ce": float("nan")}, {"ce": 1.0}], [[0, 0], [0, 0]], 2), 1, 0, 0.3, 0.0, 1.0)
    recs = stats.pop()
    assert [(r.epoch, r.step) for r in recs] == [(0, 1), (1, 0)] and not stats.pending
    first = _acc([{"ce": 2.0, "aux": 1.0}, {"ce": 4.0, "aux": 3.0}], [[1, 3], [2, 4]], 4)
    stats.push(first, 0, 0, 0.1, 0.5, 1.0)
    got = stats.pop()[0].read()
    assert got["terms"] == {"aux": 2.0, "ce": 3.0}  # each micro-batch's term / accum, summed
    assert got["correct"] == [3.0, 7.0] and got["count"] == 8 and got["non_finite"] == 0
    no_hits = recs[0]
    assert no_hits.read()["count"] == 0
    nan = recs[1].read()
    assert nan["non_finite"] == 1 and math.isnan(nan["terms"]["ce"])


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_any_non_finite_term_flags_the_step(value):
    acc = _acc([{"a": 1.0, "b": value}], None, 1)
    stats = DeferredStepStats(torch.device("cpu"))
    stats.push(acc, 0, 0, 0.1, 0.0, 0.0)
    assert stats.pop()[0].read()["non_finite"] == 1


def test_host_copy_gives_the_tensor_on_the_host():
    from svit.engine.host_copy import HostCopy

    t = torch.arange(6.0).reshape(2, 3)
    assert torch.equal(HostCopy(t).wait(), t)
    if torch.cuda.is_available():  # the pinned, event-guarded path
        d = torch.randn(64, 32, device="cuda").softmax(-1)
        c = HostCopy(d)
        assert c.host.is_pinned() and torch.equal(c.wait(), d.cpu())

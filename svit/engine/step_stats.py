"""Training-step statistics read from the device one step late, so the host never waits in the step.

Why: reading a loss or an accuracy count (``float(loss)``, ``int(hits.sum())``) blocks the host until the
device has run everything queued before it. A training step that reads its own numbers therefore
stops launching work at every read: the device drains and idles while the host launches the rest of
the step. On a fast GPU with a launch-bound model (MViT/SViT at batch 8: ~4,500 kernels per step)
that idle time is a large share of the step.

So each step puts its numbers (loss terms, a non-finite flag, top-1/top-5 hits, the sample count) in
one small device tensor, sums it over ranks with an all-reduce queued on the device (no host wait),
and starts a non-blocking copy into pinned host memory followed by an event. The trainer reads step
``s-1`` after it has launched step ``s``: by then the copy is (nearly) done and the device still has
step ``s`` queued; the wait, if any, counts in step ``s``'s ``step_time``, so step times add up to the
wall time. On the CPU the values are simply there.

The non-finite check moves with it: a NaN/inf loss at step ``s`` is reported while step ``s+1`` is in
flight, before any checkpoint or result is written (the trainer drains every pending step before it
saves or validates), naming the step it happened at. The weights in memory are no longer finite by
then, which does not matter: the run stops and what is on disk is the last good checkpoint.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from svit.engine.host_copy import HostCopy
from svit.utils.distributed import is_dist


@dataclass
class StepRecord:
    """What the trainer knows about one optimiser step on the host, plus its device numbers."""

    epoch: int
    step: int
    lr: float
    data_time: float
    step_time: float
    keys: list[str]
    values: HostCopy  # [terms..., non-finite, top1 hits, top5 hits, count] on their way to the host

    def read(self) -> dict[str, Any]:
        """Waits for this step's copy (if still in flight) and returns ``terms`` (means over ranks),
        ``non_finite`` (number of ranks whose loss was NaN/inf), ``correct`` [top1, top5] and ``count``
        (global sums; 0 when no micro-batch had hard labels to count hits against)."""
        v = self.values.wait().tolist()
        n = len(self.keys)
        return {"terms": dict(zip(self.keys, v[:n])), "non_finite": int(v[n]),
                "correct": [v[n + 1], v[n + 2]], "count": int(v[n + 3])}


class StepAccumulator:
    """Sums one step's micro-batches on the device: loss terms / accum, non-finite flags, top-k hits."""

    def __init__(self, accum: int) -> None:
        self.accum = accum
        self.terms: dict[str, torch.Tensor] = {}
        self.non_finite: torch.Tensor | None = None
        self.correct: torch.Tensor | None = None
        self.count = 0

    def add(self, terms: dict[str, torch.Tensor], loss: torch.Tensor, correct: torch.Tensor | None, n: int) -> None:
        for k, v in terms.items():
            v = v.detach().float() / self.accum
            self.terms[k] = self.terms[k] + v if k in self.terms else v
        bad = (~torch.isfinite(loss.detach())).float()  # NaN in any term makes the sum NaN, inf makes it inf
        self.non_finite = bad if self.non_finite is None else self.non_finite + bad
        if correct is not None:
            self.correct = correct if self.correct is None else self.correct + correct
            self.count += n

    def vector(self, device: torch.device) -> tuple[list[str], torch.Tensor]:
        """(sorted term names, one float64 device tensor [terms..., non-finite, top1, top5, count])."""
        keys = sorted(self.terms)
        parts = [self.terms[k] for k in keys]
        parts.append(self.non_finite if self.non_finite is not None else torch.zeros((), device=device))
        hits = self.correct if self.correct is not None else torch.zeros(2, device=device)
        parts.extend(hits.float().unbind(0))
        parts.append(torch.full((), float(self.count), device=device))
        return keys, torch.stack([p.to(device, torch.float64) for p in parts])


class DeferredStepStats:
    """A queue of steps whose numbers are on their way to the host (see the module docstring)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.pending: list[StepRecord] = []

    def push(self, acc: StepAccumulator, epoch: int, step: int, lr: float, data_time: float,
             step_time: float) -> None:
        """Reduces the step's vector over ranks (queued on the device) and starts its copy to the host."""
        keys, vec = acc.vector(self.device)
        if is_dist():
            torch.distributed.all_reduce(vec)
            n = len(keys)
            world = torch.distributed.get_world_size()
            vec = torch.cat([vec[:n] / world, vec[n:]])  # terms: mean over ranks; flags and counts: sums
        self.pending.append(StepRecord(epoch, step, lr, data_time, step_time, keys, HostCopy(vec)))

    def pop(self) -> list[StepRecord]:
        """Every pending step, oldest first (the trainer pops after launching the next step)."""
        out, self.pending = self.pending, []
        return out

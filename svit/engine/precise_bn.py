"""Precise BN statistics (fvcore) after each epoch, averaged over ranks.

Running BN averages lag behind the weights; recomputing them over many batches with the final
weights gives the statistics that evaluation should use.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from fvcore.nn.precise_bn import get_bn_modules, update_bn_stats

from svit.utils.distributed import get_world_size, is_dist


def has_bn(model: nn.Module) -> bool:
    """True when the model has BN layers in training mode (what precise BN can update)."""
    return len(get_bn_modules(model)) > 0


@torch.no_grad()
def _average_over_ranks(bns: list[nn.Module]) -> None:
    world = get_world_size()
    for bn in bns:
        for buf in (bn.running_mean, bn.running_var):
            torch.distributed.all_reduce(buf)
            buf.div_(world)


def recompute_bn_stats(model: nn.Module, loader, num_batches: int, device: torch.device) -> None:
    """Recomputes running mean/var of every BN layer over ``num_batches`` training batches."""
    num = min(num_batches, len(loader))
    if num <= 0:
        return

    def inputs():
        for batch in loader:
            yield batch["inputs"].to(device, non_blocking=True)

    was_training = model.training
    model.train()
    update_bn_stats(model, inputs(), num_iters=num, progress=None)
    if is_dist():
        _average_over_ranks(get_bn_modules(model))
    model.train(was_training)

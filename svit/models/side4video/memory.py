"""Training-memory probe: bytes of the tensors autograd keeps for backward.

On a CPU there is no ``max_memory_allocated``; the activation memory of a training step is what
the graph saves between forward and backward. ``saved_tensor_bytes`` counts it with
``torch.autograd.graph.saved_tensors_hooks`` (each storage once: views of one buffer share it).
Parameters, gradients and optimiser state come on top and are reported separately.
``python -m svit.models.side4video.memory --cfg configs/side4video/ssv2/vit_b16_f8.yaml --batch 2``
measures a recipe (B/16, 8x224: 683 MiB at batch 1, 1286 MiB at batch 2 in fp32 on CPU).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn


def saved_tensor_bytes(model: nn.Module, x: torch.Tensor, loss_fn: Callable | None = None) -> int:
    """Runs forward + backward of ``model`` on ``x`` and returns the bytes saved for backward."""
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        seen[s.data_ptr()] = max(seen.get(s.data_ptr(), 0), s.nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x)
        loss = loss_fn(out) if loss_fn is not None else out.float().sum()
    loss.backward()
    return sum(v for k, v in seen.items() if k != 0)


def main(argv: list[str] | None = None) -> None:
    """``python -m svit.models.side4video.memory --cfg FILE [--batch N] [KEY VALUE ...]``: prints the
    bytes saved for backward by one training step of the configured model on random clips."""
    import argparse

    from svit.config import load_config
    from svit.models import build_model
    from svit.models.prepare import resolve_model_config

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--cfg", required=True)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("opts", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    cfg = load_config(args.cfg, args.opts)
    cfg.defrost()
    resolve_model_config(cfg)
    model = build_model(cfg).train()
    s = cfg.DATA.TRAIN_CROP_SIZE
    x = torch.randn(args.batch, 3, cfg.DATA.NUM_FRAMES, s, s)
    labels = torch.zeros(args.batch, dtype=torch.long)
    n = saved_tensor_bytes(model, x, lambda out: nn.functional.cross_entropy(out, labels))
    trainable = sum(q.numel() for q in model.parameters() if q.requires_grad)
    total = sum(q.numel() * q.element_size() for q in model.parameters())
    print(f"{cfg.MODEL.MODEL_NAME} {cfg.DATA.NUM_FRAMES}x{s}x{s} batch {args.batch}: saved for backward "
          f"{n / 2**20:.1f} MiB; weights {total / 2**20:.0f} MiB, grads {trainable * 4 / 2**20:.0f} MiB, "
          f"AdamW state {trainable * 8 / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()

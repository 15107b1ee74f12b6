#!/usr/bin/env python
"""Training memory of one step of a configured model on random clips: the bytes autograd saves for
backward (``svit.models.side4video.memory.saved_tensor_bytes``), plus weights, gradients and AdamW state.

    python tools/side4video_memory.py --cfg configs/side4video/ssv2/vit_b16_f8.yaml --batch 2
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from svit.config import load_config  # noqa: E402
from svit.models import build_model  # noqa: E402
from svit.models.prepare import resolve_model_config  # noqa: E402
from svit.models.side4video.memory import saved_tensor_bytes  # noqa: E402
from svit.utils.cli import add_cfg_args, parse_known  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """``python tools/side4video_memory.py --cfg FILE [--batch N] [KEY VALUE ...]``: prints the
    bytes saved for backward by one training step of the configured model on random clips."""
    p = argparse.ArgumentParser(description=main.__doc__)
    add_cfg_args(p)
    p.add_argument("--batch", type=int, default=1, help="clips in the measured step (default 1)")
    args = parse_known(p, argv)
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

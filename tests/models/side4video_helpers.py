"""Shared helpers of the Side4Video tests: configs, layouts, the original's checkpoint format."""
from __future__ import annotations

from pathlib import Path

import torch

from svit.config import get_cfg


def side4video_cfg(num_classes: int = 11, side_dim: int = 320, crop: int = 224, frames: int = 8, **tower):
    """A Side4Video config; ``tower`` sets SIDE4VIDEO keys (TOWER, CLIP_WEIGHTS, WIDTH, ...)."""
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = "Side4Video"
    cfg.MODEL.NUM_CLASSES = num_classes
    cfg.MODEL.DROPOUT_RATE = 0.0
    cfg.SIDE4VIDEO.SIDE_DIM = side_dim
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = crop
    cfg.DATA.NUM_FRAMES = frames
    for k, v in tower.items():
        assert k in cfg.SIDE4VIDEO, f"SIDE4VIDEO.{k} is not a key (setattr would add it silently)"
        setattr(cfg.SIDE4VIDEO, k, v)
    return cfg


def frames_to_clip(x: torch.Tensor, t: int) -> torch.Tensor:
    """The original's ``(B*T, 3, H, W)`` (video-major) -> our ``(B, 3, T, H, W)``."""
    bt, c, h, w = x.shape
    return x.view(bt // t, t, c, h, w).transpose(1, 2)


def save_project_checkpoint(path: Path, state: dict[str, torch.Tensor], epoch: int = 5) -> Path:
    """A file as the Side4Video project writes it: DDP names inside ``model_state_dict``."""
    torch.save(
        {"epoch": epoch, "model_state_dict": {"module." + k: v for k, v in state.items()}, "optimizer_state_dict": {}},
        path,
    )
    return path


def tiny_clip_state(width: int = 64, layers: int = 2, patch: int = 16, res: int = 64, seed: int = 0) -> dict:
    """A random OpenAI-layout CLIP state dict (image tower + a one-block text tower, fp16 like OpenAI's)."""
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return (0.05 * torch.randn(*shape, generator=g)).half()

    n = (res // patch) ** 2 + 1
    sd = {
        "visual.conv1.weight": r(width, 3, patch, patch),
        "visual.class_embedding": r(width).float(),
        "visual.positional_embedding": r(n, width).float(),
        "visual.ln_pre.weight": torch.ones(width),
        "visual.ln_pre.bias": torch.zeros(width),
        "visual.ln_post.weight": torch.ones(width),
        "visual.ln_post.bias": torch.zeros(width),
        "visual.proj": r(width, 32),
        "text_projection": r(width, 32),
        "logit_scale": torch.tensor(4.6),
        "input_resolution": torch.tensor(res),
        "context_length": torch.tensor(16),
        "vocab_size": torch.tensor(100),
    }
    for prefix, count in (("visual.transformer.resblocks", layers), ("transformer.resblocks", 1)):
        for i in range(count):
            b = f"{prefix}.{i}."
            sd.update({
                b + "attn.in_proj_weight": r(3 * width, width), b + "attn.in_proj_bias": r(3 * width),
                b + "attn.out_proj.weight": r(width, width), b + "attn.out_proj.bias": r(width),
                b + "ln_1.weight": torch.ones(width), b + "ln_1.bias": torch.zeros(width),
                b + "mlp.c_fc.weight": r(4 * width, width), b + "mlp.c_fc.bias": r(4 * width),
                b + "mlp.c_proj.weight": r(width, 4 * width), b + "mlp.c_proj.bias": r(width),
                b + "ln_2.weight": torch.ones(width), b + "ln_2.bias": torch.zeros(width),
            })
    return sd

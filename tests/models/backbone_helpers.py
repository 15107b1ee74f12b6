"""Shared helpers of the Video Swin / UniFormer / ViViT tests: SV-Mix fixtures written as real
SV-Mix checkpoints, tiny models, and relative errors."""
from __future__ import annotations

import os

import torch
from fixture_weights import fixture_state_dict


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    """Relative L2 error of ``a`` against the reference ``b``."""
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def load_fixture(fixtures_dir, name: str) -> dict:
    return torch.load(os.path.join(str(fixtures_dir), "svmix", f"svmix_{name}.pt"), weights_only=True)


def write_svmix_checkpoint(fx: dict, rule: str, path) -> str:
    """The fixture's weights as the SV-Mix trainer saves them: ``{"model": {"module." + name: tensor}}``.
    Integer entries stay (as zeros): the loader must rebuild ``relative_position_index`` itself."""
    sd = fixture_state_dict(fx["keys"], rule)
    torch.save({"model": {"module." + k: v for k, v in sd.items()}, "epoch": 3}, str(path))
    return str(path)


def params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

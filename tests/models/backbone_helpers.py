"""Shared helpers of the Video Swin / UniFormer / ViViT tests: SV-Mix fixtures written as real
SV-Mix checkpoints, tiny models, and relative errors."""
from __future__ import annotations

import os
from typing import Callable

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


def check_bf16_and_grad_checkpointing(make: Callable[[], torch.nn.Module], x: torch.Tensor) -> None:
    """bf16 autocast stays finite and within 5% of fp32; activation checkpointing gives the same
    gradients (1e-5) as the plain backward. ``make`` builds a fresh, identically seeded model."""
    m = make().eval()
    with torch.no_grad():
        ref = m(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = m(x)
    assert torch.isfinite(out).all() and rel(out.float(), ref) < 0.05
    grads = []
    for flag in (False, True):
        m = make()
        m.set_grad_checkpointing(flag)
        m(x).sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in m.parameters() if p.grad is not None]))
    assert rel(grads[1], grads[0]) < 1e-5

"""Shared helpers of the depthwise Conv3d tests (test_depthwise_conv3d.py, test_depthwise_weight_grad.py): one
intra-op thread, aten's gradients as the reference, and the main job's tiny SViT run plain and fast."""
from __future__ import annotations

import pytest
import torch

from svit.config.defaults import get_cfg
from svit.engine.compile import apply_model_speed_options
from svit.models import build_model
from svit.models.layers.depthwise import DepthwiseConv3d, set_depthwise_conv_impl


@pytest.fixture(autouse=True)
def one_thread():
    """The tests' shapes are tiny: on the shared 2-core machine a second intra-op thread only adds wake-up waits
    (gradcheck went from 0.3 s to 7 s under load). Autouse in every module that imports it."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def aten_grad(g, x, w, stride, padding, dilation, which: int) -> torch.Tensor:
    """aten's CPU depthwise conv3d gradient ``which`` (0 = input, 1 = weight) for output gradient ``g``."""
    mask = [which == 0, which == 1, False]
    return torch.ops.aten.convolution_backward(
        g, x, w, None, list(stride), list(padding), list(dilation), False, [0, 0, 0], x.shape[1], mask
    )[which]


def tiny_svit_grads(dtype: torch.dtype = torch.float32) -> tuple[dict, list]:
    """The main job's model (configs/synthetic/svit_tiny.yaml, DEPTHWISE_CONV_IMPL auto) in ``dtype``: every
    parameter gradient of one loss on a clip batch and co-trained frames, for impl "plain" and "fast", and the
    model's ``DepthwiseConv3d`` modules (each checked to resolve to "fast" under auto)."""
    torch.manual_seed(0)
    cfg = get_cfg()
    cfg.merge_from_file("configs/synthetic/svit_tiny.yaml")
    cfg.MODEL.DEPTHWISE_CONV_IMPL = "auto"
    model = apply_model_speed_options(cfg, build_model(cfg)).to(dtype).train()
    convs = [m for m in model.modules() if isinstance(m, DepthwiseConv3d)]
    video, images = torch.randn(2, 3, 8, 48, 48, dtype=dtype), torch.randn(2, 3, 48, 48, dtype=dtype)
    assert convs and all(m.resolved_impl(video) == "fast" for m in convs)
    grads = {}
    for impl in ("plain", "fast"):
        set_depthwise_conv_impl(model, impl)
        model.zero_grad(set_to_none=True)
        out = model(video, images=images)
        logits = out["logits"]
        loss = (logits * torch.linspace(-1, 1, logits.numel(), dtype=dtype).view(logits.shape)).sum()
        loss = loss + out["image_outputs"]["pred_bboxes"].square().mean()
        loss.backward()
        grads[impl] = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    assert grads["fast"].keys() == grads["plain"].keys() and any("pool_k" in n for n in grads["plain"])
    return grads, convs

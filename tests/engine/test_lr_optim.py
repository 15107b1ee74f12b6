"""Learning-rate policies, weight-decay groups and clipping."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from svit.config import load_config
from svit.engine.lr_policy import lr_at_epoch
from svit.engine.optim import build_optimizer, clip_gradients, param_groups


def cfg_of(*opts):
    return load_config(None, list(opts))


def test_cosine_with_warmup_and_end_lr():
    cfg = cfg_of("SOLVER.BASE_LR", "1.0", "SOLVER.MAX_EPOCH", "10", "SOLVER.WARMUP_EPOCHS", "2",
                 "SOLVER.WARMUP_START_LR", "0.1", "SOLVER.COSINE_END_LR", "0.01")
    end_of_warm = 0.01 + 0.99 * (math.cos(math.pi * 0.2) + 1) / 2
    assert lr_at_epoch(cfg, 0) == pytest.approx(0.1)
    assert lr_at_epoch(cfg, 1) == pytest.approx(0.1 + (end_of_warm - 0.1) / 2)
    assert lr_at_epoch(cfg, 10) == pytest.approx(0.01)
    cfg.SOLVER.COSINE_AFTER_WARMUP = True
    assert lr_at_epoch(cfg, 2) == pytest.approx(1.0)
    assert lr_at_epoch(cfg, 6) == pytest.approx(0.01 + 0.99 * 0.5)


def test_steps_and_constant():
    cfg = cfg_of("SOLVER.LR_POLICY", "steps_with_relative_lrs", "SOLVER.STEPS", "[0, 3, 6]",
                 "SOLVER.LRS", "[1, 0.1, 0.01]", "SOLVER.BASE_LR", "0.5", "SOLVER.WARMUP_EPOCHS", "0.0")
    assert [lr_at_epoch(cfg, e) for e in (0, 2.99, 3, 7)] == pytest.approx([0.5, 0.5, 0.05, 0.005])
    cfg = cfg_of("SOLVER.LR_POLICY", "constant", "SOLVER.BASE_LR", "0.3", "SOLVER.BASE_LR_SCALE_NUM_SHARDS",
                 "True", "NUM_SHARDS", "2")
    assert lr_at_epoch(cfg, 5) == pytest.approx(0.6)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.bn = nn.BatchNorm1d(4)
        self.pos = nn.Parameter(torch.zeros(1, 2, 4))

    def no_weight_decay(self):
        return {"pos"}


def test_weight_decay_groups():
    cfg = cfg_of("SOLVER.ZERO_WD_1D_PARAM", "True", "SOLVER.WEIGHT_DECAY", "0.05", "BN.WEIGHT_DECAY", "0.001")
    groups = {g["name"]: g for g in param_groups(cfg, Net())}
    net = Net()
    names = dict(net.named_parameters())
    assert groups["decay"]["weight_decay"] == 0.05 and len(groups["decay"]["params"]) == 1  # fc.weight
    assert len(groups["no_decay"]["params"]) == 2 and groups["no_decay"]["weight_decay"] == 0.0  # fc.bias, pos
    assert groups["bn"]["weight_decay"] == 0.001 and len(groups["bn"]["params"]) == 2
    opt = build_optimizer(cfg_of("SOLVER.OPTIMIZING_METHOD", "adamw"), net)
    assert isinstance(opt, torch.optim.AdamW) and len(names) == 5


def test_clipping_by_norm_and_value():
    p = nn.Parameter(torch.zeros(4))
    p.grad = torch.tensor([3.0, 4.0, 0.0, 0.0])
    norm = clip_gradients(cfg_of("SOLVER.CLIP_GRAD_L2NORM", "1.0"), [p])
    assert torch.is_tensor(norm) and float(norm) == pytest.approx(5.0)
    assert p.grad.norm().item() == pytest.approx(1.0, rel=1e-4)
    p.grad = torch.tensor([3.0, -4.0, 0.1, 0.0])
    clip_gradients(cfg_of("SOLVER.CLIP_GRAD_VAL", "0.5"), [p])
    assert p.grad.tolist() == pytest.approx([0.5, -0.5, 0.1, 0.0])


@pytest.mark.parametrize("method", ["sgd", "adamw"])
def test_fused_step_only_where_every_parameter_is_on_cuda(method):
    """SOLVER.FUSED picks the fused kernels for CUDA parameters only (they do not exist on the CPU) and
    keeps the same update: on the CPU the optimiser is the plain one; on a GPU (when present) the fused
    step matches the plain one to float rounding and steps under the fp16 GradScaler without a host read."""
    net = nn.Linear(6, 3)
    cpu = build_optimizer(cfg_of("SOLVER.OPTIMIZING_METHOD", method, "SOLVER.FUSED", "True"), net)
    assert not cpu.defaults.get("fused")
    if not torch.cuda.is_available():
        return
    nets = [nn.Linear(6, 3).cuda() for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [build_optimizer(cfg_of("SOLVER.OPTIMIZING_METHOD", method, "SOLVER.FUSED", str(f)), n)
            for f, n in zip((True, False), nets)]
    assert opts[0].defaults["fused"] and not opts[1].defaults.get("fused")
    x = torch.randn(4, 6, device="cuda")
    for _ in range(3):
        for n, o in zip(nets, opts):
            o.zero_grad()
            n(x).square().sum().backward()
            o.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        torch.testing.assert_close(a, b)
    scaler = torch.amp.GradScaler("cuda")
    torch.cuda.set_sync_debug_mode("error")
    try:
        scaler.scale(nets[0](x).square().sum()).backward()
        scaler.step(opts[0])
    finally:
        torch.cuda.set_sync_debug_mode("default")
    scaler.update()

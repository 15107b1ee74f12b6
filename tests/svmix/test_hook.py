"""The ``svmix`` batch hook: gradient routing, extreme-λ fallback, selector lr, resume, a learning run."""
from __future__ import annotations

import json
import os

import pytest
import torch
import torch.nn as nn

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.config.errors import ConfigError
from svit.engine.context import StepContext
from svit.engine.ema import ModelEma
from svit.engine.hooks.svmix import SVMixHook, selector_lr_fn
from svit.engine.launch import launch_job
from svit.engine.lr_policy import lr_at_epoch
from svit.losses.classification import soft_target_cross_entropy
from svit.losses.targets import smooth_one_hot
from svit.models.registry import MODEL_REGISTRY
from svit.run_folder import checkpoint_path
from svit.svmix.features import ClipFeatures
from svit.svmix.mix import SVMixParams, svmix_batch
from svit.svmix.sampling import SVMixDraw
from svit.svmix.selector import SelectiveModule
from tests.engine import engine_toy


class ToyVideoNet(nn.Module):
    """Conv3d (1,2,2)/2 + BN + ReLU -> (B, 8, T, H/2, W/2) features; pooled, dropout, linear head."""

    def __init__(self, num_classes: int = 3, width: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, width, (1, 2, 2), stride=(1, 2, 2))
        self.bn = nn.BatchNorm3d(width)
        self.drop = nn.Dropout(0.1)
        self.temporal = nn.Conv1d(width, width, 3, padding=1)
        self.head = nn.Linear(width, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x)))

    def forward_head(self, f: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.temporal(f.mean(dim=(3, 4)))).mean(-1)
        return self.head(self.drop(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


if "SVMixToyNet" not in MODEL_REGISTRY:
    MODEL_REGISTRY.register("SVMixToyNet")(lambda cfg: ToyVideoNet(cfg.MODEL.NUM_CLASSES))


def hook_cfg(**overrides):
    opts = {
        "SVMIX.ENABLE": True, "MODEL_EMA.ENABLE": True, "MODEL_EMA.DECAY": 0.9, "MODEL_EMA.UPDATE_BUFFERS": False,
        "MODEL.NUM_CLASSES": 3, "DATA.NUM_FRAMES": 4, "DATA.TRAIN_CROP_SIZE": 8, "SVMIX.INTER_RATIO": 0.5,
    }
    opts.update(overrides)
    return load_config(None, [str(v) for kv in opts.items() for v in kv])


def make_hook(cfg):
    torch.manual_seed(0)
    net = ToyVideoNet(3)
    ema = ModelEma(net, 0.9, update_buffers=False)
    ctx = StepContext(cfg, torch.device("cpu"), net, net, ema, num_classes=3)
    return SVMixHook(cfg, ctx), net, ema, ctx


def batch(b: int = 4):
    g = torch.Generator().manual_seed(3)
    return {"inputs": torch.randn(b, 3, 4, 8, 8, generator=g), "labels": torch.tensor([0, 1, 2, 1])[:b]}


# ---------------------------------------------------------------------------------------- routing
def test_selector_size_comes_from_the_feature_map():
    hook, *_ = make_hook(hook_cfg())
    assert hook.selector.in_channels == 8 and hook.selector.inter_channels == 4
    assert set(hook.modules()) == {"selector"}


def test_gradient_routing():
    torch.manual_seed(5)
    hook, net, ema, ctx = make_hook(hook_cfg(**{"SVMIX.SWITCH_PROB": 1.0, "SVMIX.SPATIAL_ALPHA": 50.0}))
    net.train()
    out, terms = hook.before_step(batch(), ctx)
    assert set(terms) == {"svmix_offline", "svmix_mask"} and out["targets"].shape == (4, 3)
    assert torch.equal(out["labels"], batch()["labels"])  # hard labels stay for top-1
    assert not out["inputs"].requires_grad  # the online clip carries no graph to the selector
    online = soft_target_cross_entropy(net(out["inputs"]), out["targets"])

    online.backward(retain_graph=True)
    assert all(p.grad is None for p in hook.selector.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    net.zero_grad(set_to_none=True)

    (terms["svmix_offline"] + terms["svmix_mask"]).backward()
    assert all(p.grad is None for p in net.parameters())  # offline loss never reaches θ
    assert hook.selector.query.weight.grad.abs().sum() > 0  # it trains φ through ξ
    assert all(p.grad is None and not p.requires_grad for p in ema.module.parameters())


def test_teacher_runs_in_train_mode_without_dropout():
    hook, net, ema, ctx = make_hook(hook_cfg())
    before = ema.module.bn.running_mean.clone()
    hook.before_step(batch(), ctx)
    assert ema.module.training and ema.module.bn.training and not ema.module.drop.training
    assert not torch.equal(before, ema.module.bn.running_mean)  # BN used (and updated) batch statistics


def test_disabled_hook_is_a_pass_through():
    cfg = hook_cfg(**{"SVMIX.ENABLE": False, "MODEL_EMA.ENABLE": False})
    hook = SVMixHook(cfg, StepContext(cfg, torch.device("cpu"), nn.Linear(1, 1), nn.Linear(1, 1)))
    b = batch()
    out, terms = hook.before_step(b, None)
    assert out is b and terms == {} and hook.modules() == {} and hook.build_optimizer() is None


def test_svmix_without_ema_is_a_config_error():
    cfg = hook_cfg(**{"MODEL_EMA.ENABLE": False})
    net = ToyVideoNet()
    with pytest.raises(ConfigError, match="MODEL_EMA.ENABLE"):
        SVMixHook(cfg, StepContext(cfg, torch.device("cpu"), net, net, None))


# ---------------------------------------------------------------------------------------- fallback
@pytest.mark.parametrize("lam", [0.03, 0.08, 0.92, 0.97])
@pytest.mark.parametrize("mode", ["spatial", "temporal"])
def test_extreme_lambda_is_plain_mixup(lam, mode):
    torch.manual_seed(2)
    sel = SelectiveModule(6, 3)
    feats = ClipFeatures(torch.randn(4, 6, 2, 2, 2))
    x, y = torch.randn(4, 3, 4, 8, 8), torch.tensor([0, 2, 1, 1])
    perm = torch.tensor([2, 3, 1, 0])
    draw = SVMixDraw(True, mode, lam, 0.5, perm, torch.tensor([1, 0, 3, 2]))
    out = svmix_batch(sel, feats, x, y, draw, SVMixParams(3, 0.1))
    assert out.extreme
    assert torch.allclose(out.x_online, lam * x + (1 - lam) * x[perm], atol=1e-6)
    ys = smooth_one_hot(y, 3, 0.1)
    assert torch.allclose(out.target_online, lam * ys + (1 - lam) * ys[perm], atol=1e-6)


def test_no_mix_keeps_the_online_clip_clean_but_mixes_offline():
    hook, net, ema, ctx = make_hook(hook_cfg(**{"SVMIX.MIX_PROB": 0.0}))
    b = batch()
    out, terms = hook.before_step(b, ctx)
    assert torch.equal(out["inputs"], b["inputs"])
    assert torch.allclose(out["targets"], smooth_one_hot(b["labels"], 3, 0.1))
    assert terms["svmix_offline"].requires_grad


# ---------------------------------------------------------------------------------------- lr
def test_selector_lr_schedules():
    base = {"SOLVER.BASE_LR": 2e-4, "SOLVER.WARMUP_EPOCHS": 5.0, "SOLVER.WARMUP_START_LR": 2e-6,
            "SOLVER.LR_POLICY": "cosine", "SOLVER.MAX_EPOCH": 50, "SOLVER.COSINE_END_LR": 1e-6,
            "SVMIX.BASE_LR": 0.02}
    shipped = selector_lr_fn(hook_cfg(**base, **{"SVMIX.LR_SCHEDULE": "as_shipped"}))
    assert shipped(0.0) == pytest.approx(2e-4) and shipped(30.0) == pytest.approx(2e-4)  # 0.02 / 100
    cfg = hook_cfg(**base, **{"SVMIX.LR_SCHEDULE": "main"})
    main = selector_lr_fn(cfg)
    assert main(0.0) == pytest.approx(2e-4) and main(50.0) == pytest.approx(0.02 * 1e-6 / 2e-4)
    for epoch in (2.5, 5.0, 30.0):  # follows the warm-up and the cosine, scaled 0.02 / 2e-4
        assert main(epoch) == pytest.approx(lr_at_epoch(cfg, epoch) * 100)
    assert main(5.0) > 0.019
    const = selector_lr_fn(hook_cfg(**base, **{"SVMIX.LR_SCHEDULE": "constant"}))
    assert const(0.0) == const(40.0) == 0.02


def test_selector_grad_clip_in_its_optimizer():
    hook, *_ = make_hook(hook_cfg(**{"SVMIX.GRAD_CLIP": 0.5, "SVMIX.MOMENTUM": 0.0, "SVMIX.WEIGHT_DECAY": 0.0}))
    opt = hook.build_optimizer().optimizer
    before = [p.detach().clone() for p in hook.selector.parameters()]
    for p in hook.selector.parameters():
        p.grad = torch.full_like(p, 10.0)
    opt.param_groups[0]["lr"] = 1.0
    opt.step()
    step = torch.cat([(b - p.detach()).flatten() for b, p in zip(before, hook.selector.parameters())])
    assert step.norm().item() == pytest.approx(0.5, rel=1e-4)


# ---------------------------------------------------------------------------------------- runs
RUN = {
    "MODEL.MODEL_NAME": "SVMixToyNet", "DATA.TRAIN_CROP_SIZE": 4, "DATA.TEST_CROP_SIZE": 4,
    "TRAIN.HOOKS": "['svmix']", "SVMIX.ENABLE": True, "SVMIX.BASE_LR": 0.05, "SVMIX.INTER_RATIO": 0.5,
    "MODEL_EMA.ENABLE": True, "MODEL_EMA.DECAY": 0.9, "MODEL_EMA.UPDATE_BUFFERS": False,
    "SOLVER.BASE_LR": 0.2, "TRAIN.EVAL_PERIOD": 0, "TEST.ENABLE": False,
}


def run(tmp_path, name, **overrides):
    out = str(tmp_path / name)
    cfg = load_config(None, engine_toy.toy_opts(out, **{**RUN, **overrides}))
    launch_job(cfg, func=engine_toy.run_toy)
    return out


def test_resume_is_bit_identical(tmp_path):
    straight = run(tmp_path, "straight")
    half = run(tmp_path, "resumed")
    os.remove(checkpoint_path(half, 2))  # as if killed after epoch 1
    run(tmp_path, "resumed")
    ca, cb = read_checkpoint(checkpoint_path(straight, 2)), read_checkpoint(checkpoint_path(half, 2))
    for part in ("model_state",):
        for k, v in ca[part].items():
            assert torch.equal(v, cb[part][k]), k
    for k, v in ca["ema_state"]["module"].items():
        assert torch.equal(v, cb["ema_state"]["module"][k]), k
    sa, sb = ca["hook_state"]["svmix"], cb["hook_state"]["svmix"]
    for k, v in sa["modules"]["selector"].items():
        assert torch.equal(v, sb["modules"]["selector"][k]), k
    first = read_checkpoint(checkpoint_path(half, 1))["hook_state"]["svmix"]["modules"]["selector"]
    assert not torch.equal(first["query.weight"], sa["modules"]["selector"]["query.weight"])  # φ trains


def test_short_run_loss_goes_down(tmp_path):
    out = run(tmp_path, "learn", **{"SOLVER.MAX_EPOCH": 6, "SYNTHETIC.NUM_VIDEOS": 48, "TEST.ENABLE": True,
                                    "MODEL_EMA.EVAL_MODEL": "ema"})
    res = json.load(open(os.path.join(out, "test_results.json")))  # both models evaluated (spec §7 B1)
    assert res["evaluated_model"] == "ema" and {"top1", "top5"} <= set(res["online"]) & set(res["ema"])
    stats = [json.loads(line) for line in open(os.path.join(out, "stats.jsonl"))]
    epochs = [s for s in stats if s["_type"] == "train_epoch"]
    assert len(epochs) == 6
    assert {"loss_cls", "svmix_offline", "svmix_mask"} <= {k.removeprefix("loss_") for k in epochs[0]} | set(epochs[0])
    assert epochs[-1]["loss_cls"] < 0.8 * epochs[0]["loss_cls"]

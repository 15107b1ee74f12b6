"""2D → 3D inflation (svit.models.cnn.inflate): exact kernels per rule, names, and what the
mean-preserving rule promises (a clip of identical frames reproduces the 2D layer's output)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torchvision

from svit.checkpoint import CheckpointError, load_checkpoint
from svit.config.defaults import get_cfg
from svit.models import build_model
from svit.models.cnn.inception3d import InceptionV1_3d
from svit.models.cnn.inflate import (
    INCEPTION_SKIP,
    RESNET_SKIP,
    inflate_kernel,
    inflate_state_dict,
)
from svit.models.cnn.resnet3d import ResNet3d
from svit.models.prepare import load_init_checkpoints


def _randomised(sd: dict) -> dict:
    """Distinct values in every float tensor (fresh inits have constant BN weights)."""
    g = torch.Generator().manual_seed(0)
    return {k: 0.2 * torch.randn(v.shape, generator=g) if v.is_floating_point() else v
            for k, v in sd.items()}


def _inflate(model: nn.Module, sd2d: dict, rule: str, tmp_path: Path):
    """The one loading path: a 2D file through the inflation adapter of ``rule``."""
    path = tmp_path / "imagenet_2d.pth"
    torch.save(sd2d, path)
    return load_checkpoint(str(path), model, checkpoint_type="inflate" if rule == "original" else "inflate_mean")


def test_inflate_kernel_rules_exactly() -> None:
    w = torch.randn(5, 4, 3, 3)
    orig = inflate_kernel(w, 3, "original")
    mean = inflate_kernel(w, 3, "mean")
    assert orig.shape == mean.shape == (5, 4, 3, 3, 3)
    for t in range(3):
        assert torch.equal(orig[:, :, t], w)
        assert torch.equal(mean[:, :, t], w / 3)
    assert torch.equal(inflate_kernel(w, 1, "mean"), w.unsqueeze(2))
    with pytest.raises(ValueError):
        inflate_kernel(w, 3, "median")


@pytest.mark.parametrize("rule", ["original", "mean"])
@pytest.mark.parametrize("separable", [False, True])
def test_resnet18_inflation_follows_the_rule(rule: str, separable: bool, tmp_path: Path) -> None:
    """torchvision ResNet-18 → I3D-/S3D-ResNet-18: each 2D tensor lands where the rule says."""
    sd2d = _randomised(torchvision.models.resnet18(weights=None).state_dict())
    model = ResNet3d(18, num_classes=7, separable=separable)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = _inflate(model, sd2d, rule, tmp_path)
    after = model.state_dict()

    # only the classifier is dropped: every other torchvision name exists in our model
    assert sorted(k for k, _ in report.dropped) == ["fc.bias", "fc.weight"]
    assert report.unexpected == [] and report.skipped == []
    assert {k for k, _, _ in report.resampled} == {k for k, v in sd2d.items() if v.dim() == 4}
    for key, w2 in sd2d.items():
        if key.startswith("fc."):
            continue
        w3 = after[key]
        if w2.dim() == 4:
            t = w3.shape[2]
            expected = w2.unsqueeze(2).repeat(1, 1, t, 1, 1) / (t if rule == "mean" else 1)
            assert torch.equal(w3, expected), key
        else:
            assert torch.equal(w3, w2), key
    assert after["conv1.weight"].shape[2] == 3  # the 3×7×7 stem is inflated in both variants
    if separable:
        # Spatial halves have temporal size 1 (same under both rules); temporal halves are new.
        assert after["layer2.0.conv1.weight"].shape[2] == 1
        temporal = [k for k in after if "_t." in k]
        assert temporal and set(temporal) <= set(report.missing)
        for k in temporal:
            assert torch.equal(after[k], before[k]), k
    else:
        assert after["layer2.0.conv1.weight"].shape[2] == 3
    assert torch.equal(after["fc.weight"], before["fc.weight"])


@pytest.mark.parametrize("separable", [False, True])
def test_googlenet_inflation_uses_every_backbone_tensor(separable: bool) -> None:
    """torchvision GoogLeNet names map one to one; fc/aux heads are skipped."""
    g = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
    sd2d = _randomised(g.state_dict())
    model = InceptionV1_3d(num_classes=5, separable=separable)
    tensors, report = inflate_state_dict(sd2d, model.state_dict(), INCEPTION_SKIP, "original")
    assert report.unused == []
    assert report.skipped and all(k.startswith(("fc.", "aux1.", "aux2.")) for k in report.skipped)
    assert len(report.inflated) == 57  # 57 convs in GoogLeNet's backbone
    assert torch.equal(tensors["conv1.conv.weight"][:, :, 2], sd2d["conv1.conv.weight"])
    assert tensors["conv1.conv.weight"].shape[2] == (3 if separable else 7)
    missing = set(report.missing)
    if separable:
        assert {k for k in model.state_dict() if ".conv_t." in k or ".bn_t." in k} <= missing
    assert missing <= {k for k in model.state_dict() if k.startswith("fc.") or "_t." in k}


def test_inflation_rejects_weights_of_another_depth(tmp_path: Path) -> None:
    sd2d = torchvision.models.resnet34(weights=None).state_dict()
    with torch.device("meta"):
        model = ResNet3d(50, num_classes=3)
    with pytest.raises(ValueError, match="does not fit"):
        inflate_state_dict(sd2d, model.state_dict(), RESNET_SKIP)
    with pytest.raises(CheckpointError, match="imagenet_2d.pth.*does not fit"):
        _inflate(ResNet3d(50, num_classes=3), sd2d, "original", tmp_path)


def _identical_frames(x2d: torch.Tensor, frames: int) -> torch.Tensor:
    return x2d.unsqueeze(2).expand(-1, -1, frames, -1, -1).contiguous()


@pytest.mark.parametrize(
    "k2d,k_t,pad",
    [((1, 1), 1, (0, 0, 0)), ((1, 1), 3, (1, 0, 0)), ((3, 3), 3, (1, 1, 1)), ((3, 3), 5, (2, 1, 1))],
)
def test_mean_rule_reproduces_2d_layer_on_identical_frames(k2d: tuple, k_t: int, pad: tuple) -> None:
    """Inflated (mean rule) conv on a still clip == the 2D conv per frame, away from the borders;
    the original (repeat) rule gives k_t times the 2D output there instead."""
    torch.manual_seed(0)
    conv2d = nn.Conv2d(4, 6, k2d, padding=pad[1:], bias=True)
    x2d = torch.randn(2, 4, 9, 9)
    clip = _identical_frames(x2d, 7)
    ref = conv2d(x2d)
    outs = {}
    for rule in ("mean", "original"):
        conv3d = nn.Conv3d(4, 6, (k_t, *k2d), padding=pad, bias=True)
        sd3d = conv3d.state_dict()
        tensors, report = inflate_state_dict(conv2d.state_dict(), sd3d, (), rule)
        assert report.inflated == ["weight"] and report.copied == ["bias"]
        conv3d.load_state_dict(tensors)
        outs[rule] = conv3d(clip)
    h = k_t // 2
    inner = slice(h, 7 - h)
    for t in range(7)[inner]:
        torch.testing.assert_close(outs["mean"][:, :, t], ref, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(outs["original"][:, :, t] - conv2d.bias.view(1, -1, 1, 1),
                                   k_t * (ref - conv2d.bias.view(1, -1, 1, 1)), rtol=1e-5, atol=1e-5)
    if h:  # the zero temporal padding makes the border frames differ
        assert not torch.allclose(outs["mean"][:, :, 0], ref, atol=1e-3)


def test_mean_inflated_resnet_block_equals_2d_block_on_still_clip(tmp_path: Path) -> None:
    """Through BN/ReLU/residual too: an inflated stem+layer1 reproduces torchvision per frame."""
    torch.manual_seed(0)
    r2d = torchvision.models.resnet18(weights=None)
    r2d.load_state_dict(_randomised(r2d.state_dict()) | {
        k: v.abs() + 0.5 for k, v in r2d.state_dict().items() if k.endswith("running_var")})
    r2d.eval()
    model = ResNet3d(18, num_classes=3, without_t_stride=True).eval()
    _inflate(model, r2d.state_dict(), "mean", tmp_path)
    x2d = torch.randn(1, 3, 32, 32)
    clip = _identical_frames(x2d, 11)
    with torch.no_grad():
        ref = r2d.layer1(r2d.maxpool(r2d.relu(r2d.bn1(r2d.conv1(x2d)))))
        out = model.layer1(model.maxpool(model.relu(model.bn1(model.conv1(clip)))))
    # stem + 2 blocks × 2 convs, each of temporal radius 1: only frame 5 of 11 is border-free.
    torch.testing.assert_close(out[:, :, 5], ref, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(out[:, :, 0], ref, rtol=1e-2, atol=1e-2)


def test_init_checkpoints_inflate_cnn_imagenet_weights(tmp_path: Path) -> None:
    """CNN.IMAGENET_WEIGHTS (a local file, DataParallel prefix and wrapper allowed) is inflated
    through the adapter CNN.INFLATE_RULE selects when a fresh run loads its init checkpoints."""
    sd2d = _randomised(torchvision.models.resnet18(weights=None).state_dict())
    path = tmp_path / "resnet18_imagenet.pth"
    torch.save({"state_dict": {"module." + k: v for k, v in sd2d.items()}}, path)
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.CNN.BACKBONE, cfg.CNN.DEPTH = "R2plus1D", "s3d_resnet", 18
    cfg.CNN.IMAGENET_WEIGHTS, cfg.CNN.INFLATE_RULE = str(path), "mean"
    model = build_model(cfg)
    assert not torch.equal(model.layer3[1].conv2.weight, sd2d["layer3.1.conv2.weight"].unsqueeze(2))
    (report,) = load_init_checkpoints(cfg, model)
    sd3d = model.state_dict()
    assert ("conv1.weight", (64, 3, 7, 7), (64, 3, 3, 7, 7)) in report.resampled
    assert {k for k, _ in report.dropped} == {"fc.weight", "fc.bias"}
    assert sorted(report.missing) == sorted(k for k in sd3d if "_t." in k or k.startswith("fc."))
    assert torch.equal(sd3d["conv1.weight"], sd2d["conv1.weight"].unsqueeze(2).repeat(1, 1, 3, 1, 1) / 3)
    assert torch.equal(sd3d["layer3.1.conv2.weight"], sd2d["layer3.1.conv2.weight"].unsqueeze(2))
    assert torch.equal(sd3d["layer4.0.downsample.1.running_var"], sd2d["layer4.0.downsample.1.running_var"])
    assert not torch.equal(sd3d["fc.weight"][:, :512], sd2d["fc.weight"][: cfg.MODEL.NUM_CLASSES])


def test_inflate_adapter_lays_out_the_svmix_r2plus1d(tmp_path: Path) -> None:
    """ResNet3d(expand_2plus1d): the adapter first places the 2D weights as that network expects
    (svit.models.cnn.inflate_2plus1d), then copies them name for name."""
    sd2d = _randomised(torchvision.models.resnet50(weights=None).state_dict())
    model = ResNet3d(50, num_classes=3, separable=True, expand_2plus1d=True, early_stride=4)
    report = _inflate(model, sd2d, "original", tmp_path)
    w2 = sd2d["layer1.0.conv2.weight"]  # (64, 64, 3, 3) -> (144, 64, 1, 3, 3), 2D filters in the middle rows
    pad = 64 * 5 // 8
    assert torch.equal(model.layer1[0].conv2.weight[pad:pad + 64, :, 0], w2)
    assert model.layer1[0].conv2.weight[:pad].abs().sum() == 0
    assert torch.equal(model.conv1.weight[:, :, 4 // 2], sd2d["conv1.weight"])  # one temporal tap of the stem
    assert report.skipped == [] and report.unexpected == []
    assert {k for k, _ in report.dropped} == {"fc.weight", "fc.bias"}


def test_train_checkpoint_inflate_switch(tmp_path: Path) -> None:
    """TRAIN.CHECKPOINT_INFLATE: TRAIN.CHECKPOINT_FILE_PATH goes through its adapter, then inflation."""
    from svit.models.build import train_checkpoint_type

    cfg = get_cfg()
    assert train_checkpoint_type(cfg) == ["pytorch"]
    cfg.TRAIN.CHECKPOINT_INFLATE, cfg.TRAIN.CHECKPOINT_TYPE, cfg.CNN.INFLATE_RULE = True, "tsm", "mean"
    assert train_checkpoint_type(cfg) == ["tsm", "inflate_mean"]
    sd2d = _randomised(torchvision.models.resnet18(weights=None).state_dict())
    path = tmp_path / "tsm_2d.pth"
    torch.save({"state_dict": {"module.base_model." + k: v for k, v in sd2d.items()}}, path)
    model = ResNet3d(18, num_classes=3)
    report = load_checkpoint(str(path), model, checkpoint_type=train_checkpoint_type(cfg))
    expected = sd2d["layer2.0.conv1.weight"].unsqueeze(2).repeat(1, 1, 3, 1, 1) / 3
    assert torch.equal(model.layer2[0].conv1.weight, expected)
    assert len(report.resampled) == sum(v.dim() == 4 for v in sd2d.values())

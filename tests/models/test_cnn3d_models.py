"""Behaviour of the 3D CNN models: registered names, temporal lengths (spec §9), the head
convention, depthwise temporal convs and pooling options, on tiny inputs."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from svit.config.defaults import get_cfg
from svit.models import MODEL_REGISTRY, build_model
from svit.models.cnn.inception3d import InceptionV1_3d
from svit.models.cnn.resnet3d import ResNet3d


def _cfg(name: str, backbone: str, depth: int = 18, **cnn):
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.MODEL.NUM_CLASSES = name, 5
    cfg.CNN.BACKBONE, cfg.CNN.DEPTH = backbone, depth
    for k, v in cnn.items():
        setattr(cfg.CNN, k, v)
    return cfg


@pytest.mark.parametrize(
    "name,backbone,cls,separable",
    [
        ("I3D", "i3d_resnet", ResNet3d, False),
        ("I3D", "i3d", InceptionV1_3d, False),
        ("S3D", "s3d_resnet", ResNet3d, True),
        ("S3D", "s3d", InceptionV1_3d, True),
        ("ResNet3D", "i3d_resnet", ResNet3d, False),
        ("R2plus1D", "s3d_resnet", ResNet3d, True),
    ],
)
def test_registered_names_build_the_right_family(name, backbone, cls, separable) -> None:
    assert name in MODEL_REGISTRY
    with torch.device("meta"):
        model = build_model(_cfg(name, backbone, WITHOUT_T_STRIDE=False, DW_T_CONV=separable))
    assert type(model) is cls and model.separable is separable
    assert model.t_s == 2
    temporal = [m for m in model.modules() if isinstance(m, nn.Conv3d) and m.kernel_size == (3, 1, 1)]
    assert bool(temporal) is separable
    assert all(m.groups == m.in_channels for m in temporal)  # DW_T_CONV was on for S3D


@pytest.mark.parametrize(
    "name,backbone", [("I3D", "s3d_resnet"), ("S3D", "i3d"), ("R2plus1D", "s3d"), ("ResNet3D", "i3d")]
)
def test_mismatched_backbone_is_rejected(name: str, backbone: str) -> None:
    with pytest.raises(ValueError, match="BACKBONE"):
        build_model(_cfg(name, backbone))


def _time_steps(model: nn.Module, frames: int) -> int:
    with torch.no_grad():
        return model.forward_features(torch.empty(1, 3, frames, 64, 64, device="meta")).shape[2]


@pytest.mark.parametrize("frames", [6, 16, 17])
def test_temporal_lengths_follow_spec_table(frames: int) -> None:
    """§9: ResNets and I3D halve time three times (ceil); S3D's last pool is 2×2×2 unpadded."""
    c = lambda t: math.ceil(t / 2)  # noqa: E731
    with torch.device("meta"):
        for without in (False, True):
            for sep in (False, True):
                assert _time_steps(ResNet3d(18, 5, without_t_stride=without, separable=sep), frames) == (
                    frames if without else c(c(c(frames))))
            assert _time_steps(InceptionV1_3d(5, without_t_stride=without), frames) == (
                frames if without else c(c(c(frames))))
            s3d_t = frames - 1 if without else (c(c(frames)) - 2) // 2 + 1
            assert _time_steps(InceptionV1_3d(5, without_t_stride=without, separable=True), frames) == s3d_t


def test_head_averages_per_step_logits_and_dropout_only_in_training() -> None:
    torch.manual_seed(0)
    model = ResNet3d(18, 5, dropout=0.5, without_t_stride=True, separable=True)
    nn.init.normal_(model.fc.weight, 0, 0.1)
    x = torch.randn(2, 3, 4, 32, 32)
    model.eval()
    with torch.no_grad():
        feats = model.forward_features(x)  # (2, 512, 4, 1, 1)
        per_step = model.fc.weight @ feats.mean(dim=(3, 4)) + model.fc.bias[:, None]  # (2, K, T)
        out = model(x)
        assert out.shape == (2, 5)
        torch.testing.assert_close(out, per_step.mean(-1), rtol=1e-5, atol=1e-6)
        assert torch.equal(out, model(x))
        model.train()
        a, b = model(x), model(x)
    assert not torch.allclose(a, b)


def test_depthwise_temporal_conv_is_a_block_diagonal_full_conv() -> None:
    """S3D-ResNet with DW_T_CONV equals the full model whose temporal kernels are diagonal."""
    torch.manual_seed(0)
    dw = ResNet3d(18, 5, without_t_stride=False, separable=True, dw_t_conv=True).eval()
    full = ResNet3d(18, 5, without_t_stride=False, separable=True, dw_t_conv=False).eval()
    sd = dw.state_dict()
    mapped = {}
    for k, v in full.state_dict().items():
        if "_t.weight" in k and v.dim() == 5:
            assert sd[k].shape == (v.shape[0], 1, 3, 1, 1)
            diag = torch.zeros_like(v)
            idx = torch.arange(v.shape[0])
            diag[idx, idx] = sd[k][:, 0]
            mapped[k] = diag
        else:
            mapped[k] = sd[k]
    full.load_state_dict(mapped)
    x = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(full(x), dw(x), rtol=1e-4, atol=1e-5)


def test_s3d_inception_temporal_convs_have_bias_and_dw_option() -> None:
    with torch.device("meta"):
        s3d = InceptionV1_3d(5, separable=True, dw_t_conv=True)
    sd = s3d.state_dict()
    assert sd["conv3.conv_t.bias"].shape == (192,)
    assert sd["conv3.conv_t.weight"].shape == (192, 1, 3, 1, 1)
    assert sd["inception5b.branch3.1.conv_t.weight"].shape == (128, 1, 3, 1, 1)
    assert sd["inception3a.branch2.1.conv.weight"].shape == (128, 96, 1, 3, 3)
    assert all(m.eps == 1e-3 for m in s3d.modules() if isinstance(m, nn.BatchNorm3d))


def test_pooling_method_switches_inception_stage_pools_only() -> None:
    torch.manual_seed(0)
    mx = InceptionV1_3d(5, without_t_stride=True, pooling_method="max").eval()
    av = InceptionV1_3d(5, without_t_stride=True, pooling_method="avg").eval()
    av.load_state_dict(mx.state_dict())
    # avg_pool3d (like the original) needs every pooled map ≥ 3 in each dim, hence no t-stride.
    x = torch.randn(1, 3, 4, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(mx.forward_features(x), av.forward_features(x))
    # The pool inside each inception branch stays max in both.
    assert isinstance(av.inception3a.branch4[0], nn.MaxPool3d)
    with pytest.raises(ValueError):
        InceptionV1_3d(5, pooling_method="median")


def test_dropout_rate_and_classes_come_from_the_config() -> None:
    cfg = _cfg("I3D", "i3d")
    cfg.MODEL.DROPOUT_RATE, cfg.MODEL.NUM_CLASSES = 0.3, 9
    with torch.device("meta"):
        model = build_model(cfg)
    assert model.fc.dropout.p == 0.3 and model.fc.out_features == 9

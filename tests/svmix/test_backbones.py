"""SV-Mix backbones through our models: original fixtures (rule A and B weights) loaded with the
``svmix`` adapter, and the feature maps SV-Mix reads (``svit.svmix.features.clip_features``)."""
from __future__ import annotations

import pytest
import torch

from svit.checkpoint import load_checkpoint
from svit.config.defaults import get_cfg
from svit.models import build_model
from svit.svmix.features import clip_features
from tests.fixture_weights import fixture_state_dict

RTOL = 1e-4


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a.float() - b.float()).abs().max() / b.float().abs().max()).item()


def cnn_cfg(name: str, frames: int, extra: list | None = None):
    cfg = get_cfg()
    cfg.merge_from_list(
        ["MODEL.MODEL_NAME", name, "CNN.DEPTH", 50, "DATA.NUM_FRAMES", frames, "MODEL.NUM_CLASSES", 11,
         "MODEL.DROPOUT_RATE", 0.5, "CNN.WITHOUT_T_STRIDE", True] + list(extra or [])
    )
    return cfg


def load_fixture_weights(tmp_path, model, keys, rule: str, wrap: bool):
    """Saves the rule's weights the way the SV-Mix trainer does (``{"model": ...}`` of a DDP model, or a
    bare state dict) without the integer keys, and loads them through the adapter."""
    sd = {k: v for k, v in fixture_state_dict(keys, rule).items() if v.is_floating_point()}
    obj = {"model": {"module." + k: v for k, v in sd.items()}, "iteration": 7} if wrap else sd
    path = tmp_path / f"svmix_{rule}.pth"
    torch.save(obj, path)
    report = load_checkpoint(str(path), model, checkpoint_type="svmix")
    assert not report.unexpected and not report.skipped
    assert all(k.endswith("num_batches_tracked") for k in report.missing)
    return report


CASES = {
    "tsm": ("svmix_tsm_r50_t8_96.pt", "TSM", []),
    "r2p1d": ("svmix_r2p1d_r50_t8_96.pt", "R2plus1D", ["CNN.R2PLUS1D_EXPAND", True, "CNN.EARLY_STRIDE", 1]),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("rule", ["A", "B"])
def test_cnn_fixture(fixtures_dir, tmp_path, name, rule):
    fname, model_name, extra = CASES[name]
    d = torch.load(fixtures_dir / "svmix" / fname, weights_only=True)
    model = build_model(cnn_cfg(model_name, 8, extra)).eval()
    assert sum(p.numel() for p in model.parameters()) == d["meta"]["num_params"]
    load_fixture_weights(tmp_path, model, d["keys"], rule, wrap=rule == "A")
    x = d["input"]
    if name == "tsm":  # layout "C" (B, 3T, H, W) -> ours (B, 3, T, H, W)
        x = x.reshape(1, 8, 3, 96, 96).transpose(1, 2)
    suffix = "" if rule == "A" else "_ruleB"
    with torch.no_grad():
        logits = model(x)
        feats = clip_features(model, x)
    assert rel(logits, d["output" + suffix]) <= RTOL
    assert (logits.softmax(-1) - d["scores" + suffix]).abs().max() <= 1e-4
    ref = d["feature_map" + suffix]
    if name == "tsm":  # (B*T, C, H', W') frame-major -> (B, C, T, H', W')
        ref = ref.reshape(1, 8, *ref.shape[1:]).transpose(1, 2)
    assert feats.spatial.shape == ref.shape and feats.temporal is None
    assert rel(feats.spatial, ref) <= RTOL


def test_r2plus1d_variant_shapes():
    """9/4-width spatial convs, one BN after the temporal conv, early_stride stem on time."""
    model = build_model(cnn_cfg("R2plus1D", 8, ["CNN.R2PLUS1D_EXPAND", True, "CNN.EARLY_STRIDE", 2]))
    sd = model.state_dict()
    assert tuple(sd["layer1.0.conv2.weight"].shape) == (144, 64, 1, 3, 3)
    assert tuple(sd["layer1.0.conv2_t.weight"].shape) == (64, 144, 3, 1, 1)
    assert "layer1.0.bn2_t.weight" not in sd
    assert tuple(sd["conv1.weight"].shape) == (64, 3, 2, 7, 7)
    with torch.no_grad():
        f = clip_features(model.eval(), torch.randn(1, 3, 8, 64, 64)).spatial
    assert f.shape == (1, 2048, 4, 2, 2)


def test_mvit_features_are_prenorm_tokens():
    """MViT's SV-Mix map: last-block tokens before the final norm on the model's own grid (MViTv2-S
    settings: no class token, norm then mean); normalising them and pooling gives the model's logits."""
    from tests.models.mvit_cfgs import micro_cfg

    cfg = micro_cfg("MViT", ["MODEL.NUM_CLASSES", 5, "DATA.NUM_FRAMES", 8, "DATA.TRAIN_CROP_SIZE", 64,
                             "MVIT.CLS_EMBED_ON", False, "MVIT.USE_MEAN_POOLING", False])
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    x = torch.randn(2, 3, 8, 64, 64)
    with torch.no_grad():
        f = clip_features(model, x).spatial
        tokens = f.flatten(2).transpose(1, 2)
        logits = model.head(model.norm(tokens).mean(1))
        assert torch.allclose(logits, model(x), atol=1e-5)
    assert f.shape == (2, 128, 4, 4, 4)


def test_adapter_rejects_non_weights(tmp_path):
    from svit.checkpoint import CheckpointError

    path = tmp_path / "bad.pth"
    torch.save({"model": {"a": 1}}, path)
    model = build_model(cnn_cfg("TSM", 8))
    with pytest.raises(CheckpointError, match="bad.pth"):
        load_checkpoint(str(path), model, checkpoint_type="svmix")


def test_vivit_pair_feeds_the_temporal_mode():
    """ViViT gives (spatial map, temporal-encoder tokens); the temporal mode attends over the tokens,
    the spatial mode and the saliency over the map; masks cover the clip at patch 16, tubelet 2."""
    from svit.models.vivit import ViViT
    from svit.svmix.masks import pixel_source_weights
    from svit.svmix.selector import SelectiveModule

    torch.manual_seed(0)
    model = ViViT(num_classes=5, img_size=32, num_frames=8, embed_dim=16, depth=1, temporal_depth=1,
                  num_heads=2, drop_path_rate=0.0).eval()
    x = torch.randn(2, 3, 8, 32, 32)
    with torch.no_grad():
        feats = clip_features(model, x)
    assert feats.spatial.shape == (2, 16, 4, 2, 2) and feats.temporal.shape == (2, 16, 4)
    sel = SelectiveModule(16, 16)
    perm = torch.tensor([1, 0])
    with torch.no_grad():
        z_tok = sel(feats.spatial, 0.4, perm, "temporal", feats.temporal)
        z_mean = sel(feats.spatial, 0.4, perm, "temporal")
        z_sp = sel(feats.spatial, 0.4, perm, "spatial", feats.temporal)
    assert not torch.allclose(z_tok, z_mean)  # the tokens, not the spatial mean, drive the temporal mode
    assert (z_tok[:, :, :1, :1] == z_tok).all()  # one logit per time step
    assert torch.equal(z_sp, sel(feats.spatial, 0.4, perm, "spatial"))
    assert pixel_source_weights(z_tok, 8, (32, 32)).shape == (2, 8, 32, 32)

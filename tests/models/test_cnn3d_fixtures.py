"""Our 3D CNNs compute the same function as the IBM originals (shared/fixtures/ibm_*3d*.pt).

The original-format state dict is rebuilt from each fixture's key list (tests/fixture_weights.py),
saved with the DataParallel ``module.`` prefix as the original train.py does, mapped to our names
and loaded **strictly**; the eval-mode logits must match the stored ones to relative 1e-4.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixture_weights import fixture_state_dict  # noqa: E402

from svit.checkpoint import LoadReport  # noqa: E402
from svit.config.defaults import get_cfg  # noqa: E402
from svit.models import build_model  # noqa: E402
from svit.models.adapters import ADAPTER_REGISTRY  # noqa: E402

# fixture file -> (MODEL_NAME, CNN.BACKBONE, depth); all: 11 classes, temporal stride on.
FIXTURES = {
    "ibm_i3d_resnet18_f8.pt": ("I3D", "i3d_resnet", 18),
    "ibm_s3d_resnet18_f8.pt": ("S3D", "s3d_resnet", 18),
    "ibm_i3d_inception_f16.pt": ("I3D", "i3d", 50),
}


def _cfg(name: str, backbone: str, depth: int, num_classes: int):
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = name
    cfg.MODEL.NUM_CLASSES = num_classes
    cfg.CNN.BACKBONE = backbone
    cfg.CNN.DEPTH = depth
    cfg.CNN.WITHOUT_T_STRIDE = False
    cfg.CNN.POOLING_METHOD = "max"
    return cfg


def _check(model: torch.nn.Module, state: dict, fx: dict) -> None:
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        out = model(fx["input"])
    ref = fx["output"]
    assert out.shape == ref.shape
    rel = ((out - ref).abs().max() / ref.abs().max()).item()
    assert rel < 1e-4, f"relative max difference {rel:.3g}"


@pytest.mark.parametrize("fname", sorted(FIXTURES))
def test_fixture_matches_original_through_ibm_adapter(fixtures_dir: Path, fname: str) -> None:
    """``module.``-prefixed original checkpoint → registered ``ibm`` adapter → strict load → logits."""
    fx = torch.load(fixtures_dir / fname)
    name, backbone, depth = FIXTURES[fname]
    model = build_model(_cfg(name, backbone, depth, fx["output"].shape[1]))
    wrapped = {"module." + k: v for k, v in fixture_state_dict(fx["keys"]).items()}
    _check(model, ADAPTER_REGISTRY.get("ibm")({"state_dict": wrapped, "epoch": 3}, model, LoadReport("x.pth")), fx)


@pytest.mark.parametrize("fname", sorted(FIXTURES))
def test_ibm_adapter_is_prefix_stripping_for_3d(fixtures_dir: Path, fname: str) -> None:
    """We keep IBM's names, so the adapter only strips the wrapper prefix (with or without it)."""
    fx = torch.load(fixtures_dir / fname)
    sd = fixture_state_dict(fx["keys"])
    adapter = ADAPTER_REGISTRY.get("ibm")
    for given in (sd, {"module." + k: v for k, v in sd.items()}):
        out = adapter(dict(given), torch.nn.Module(), LoadReport("x.pth"))
        assert list(out) == list(sd)
        assert all(out[k] is sd[k] for k in sd)


@pytest.mark.parametrize("fname", sorted(FIXTURES))
def test_fixture_key_shapes_equal_ours(fixtures_dir: Path, fname: str) -> None:
    """Every original tensor has the same name, shape and dtype in our model, and nothing more."""
    fx = torch.load(fixtures_dir / fname)
    name, backbone, depth = FIXTURES[fname]
    with torch.device("meta"):
        model = build_model(_cfg(name, backbone, depth, fx["output"].shape[1]))
    ours = {k: (list(v.shape), str(v.dtype)) for k, v in model.state_dict().items()}
    theirs = {k: (list(s), str(d)) for k, s, d in fx["keys"]}
    assert ours == theirs

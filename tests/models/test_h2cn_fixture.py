"""H2CN computes the original's function: reference fixture through the ``h2cn`` adapter, and sizes."""
from __future__ import annotations

import pytest
import torch
from fixture_weights import fixture_state_dict

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters import ADAPTER_REGISTRY
from svit.models.h2cn.model import H2CN

# Parameters of the original's dead ``base_model.conv1_temp`` (64x3x7x7 + 64), dropped by the adapter.
DEAD_CONV1_TEMP = 64 * 3 * 7 * 7 + 64
BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


def _to_svit_layout(x: torch.Tensor, snippet_len: int = 5) -> torch.Tensor:
    """(B, T*L*3, H, W), segment-major / frame / RGB -> (B, 3, T*L, H, W)."""
    b, c, h, w = x.shape
    return x.view(b, c // 3, 3, h, w).transpose(1, 2)


def _num_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_fixture_equivalence_through_adapter(fixtures_dir):
    ref = torch.load(fixtures_dir / "h2cn_r50_t8.pt", map_location="cpu", weights_only=False)
    original = fixture_state_dict(ref["keys"])
    # Released checkpoints carry DataParallel's prefix; the adapter must accept both forms.
    original = {"module." + k: v for k, v in original.items()}
    model = H2CN(num_classes=11, num_segments=8, snippet_len=5, depth=50, dropout_rate=0.5).eval()
    report = LoadReport("h2cn.pth.tar")
    adapted = ADAPTER_REGISTRY.get("h2cn")(original, model, report)
    model.load_state_dict(adapted, strict=True)
    # Every original tensor except the dead conv1_temp pair is used; those two are reported.
    assert len(adapted) == len(original) - 2
    assert sorted(k for k, _ in report.dropped) == [
        "module.base_model.conv1_temp.bias", "module.base_model.conv1_temp.weight"
    ]
    with torch.no_grad():
        out = model(_to_svit_layout(ref["input"]))
    expected = ref["output"]
    rel = (out - expected).abs().max() / expected.abs().max()
    assert out.shape == expected.shape
    assert rel.item() <= 1e-4, f"relative error {rel.item():.3e}"


def test_parameter_count_matches_original(fixtures_dir):
    ref = torch.load(fixtures_dir / "h2cn_r50_t8.pt", map_location="cpu", weights_only=False)
    original_params = sum(
        int(torch.Size(shape).numel()) for name, shape, _ in ref["keys"] if not name.endswith(BUFFER_SUFFIXES)
    )
    assert original_params == 23_740_453  # README of the fixtures, incl. the dead conv1_temp
    ours = _num_params(H2CN(num_classes=11, num_segments=8))
    assert ours + DEAD_CONV1_TEMP == 23_740_453
    assert ours == 23_730_981


def test_parameter_count_general_rules():
    """Spec §4.2 'total used': 24,064,968 at K=174; the segment count adds no parameters."""
    model = H2CN(num_classes=174, num_segments=16)
    assert _num_params(model) == 24_064_968
    by_part = {"cmcb": 0, "motion": 0}
    for name, p in model.named_parameters():
        for part in by_part:
            if f".{part}." in name:
                by_part[part] += p.numel()
    assert by_part == {"cmcb": 168_040, "motion": 28_466}  # 16 CMCBs; FMCB levels + motion stem
    assert _num_params(H2CN(num_classes=400, num_segments=8)) == 24_528_042


def test_adapter_rejects_foreign_keys():
    adapter = ADAPTER_REGISTRY.get("h2cn")
    model = torch.nn.Module()
    with pytest.raises(CheckpointError, match="conv9.*other.pth"):
        adapter({"module.base_model.layer1_bak.0.mtdin.conv9.weight": torch.zeros(1)}, model, LoadReport("other.pth"))
    with pytest.raises(CheckpointError, match="unexpected key.*other.pth"):
        adapter({"model.encoder.weight": torch.zeros(1)}, model, LoadReport("other.pth"))

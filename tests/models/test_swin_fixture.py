"""Video Swin-S (window 4x7x7) against the SV-Mix original: logits and the stage-4 map, rules A and B,
loaded through load_checkpoint(checkpoint_type="svmix")."""
import pytest
import torch
from backbone_helpers import load_fixture, params, rel, write_svmix_checkpoint

from svit.checkpoint import load_checkpoint
from svit.models.swin import VideoSwin


@pytest.fixture(scope="module")
def fx(fixtures_dir):
    return load_fixture(fixtures_dir, "swin_s_t16_112")


@pytest.mark.parametrize("rule,suffix", [("A", ""), ("B", "_ruleB")])
def test_swin_s_matches_svmix_original(fx, rule, suffix, tmp_path):
    model = VideoSwin(num_classes=11, embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24),
                      window_size=(4, 7, 7)).eval()
    assert params(model) == fx["meta"]["num_params"] == 49_136_273
    report = load_checkpoint(write_svmix_checkpoint(fx, rule, tmp_path / "swin.pth"), model, strict=True,
                             checkpoint_type="svmix")
    # The zeros stored for the integer index are dropped, never loaded.
    assert any(k.endswith("relative_position_index") for k, _ in report.dropped)
    with torch.no_grad():
        feats = model.forward_features(fx["input"])
        logits = model.forward_head(feats)
    assert feats.shape == fx["feature_map" + suffix].shape == (1, 768, 8, 4, 4)
    assert rel(logits, fx["output" + suffix]) < 1e-4
    assert rel(feats, fx["feature_map" + suffix]) < 1e-4
    assert torch.allclose(logits.softmax(-1), fx["scores" + suffix], atol=1e-4)

"""UniFormer-S against the SV-Mix original: logits and the final-BN map, rules A and B, loaded
through load_checkpoint(checkpoint_type="svmix")."""
import pytest
import torch
from backbone_helpers import load_fixture, params, rel, write_svmix_checkpoint

from svit.checkpoint import load_checkpoint
from svit.models.uniformer import UniFormer


@pytest.fixture(scope="module")
def fx(fixtures_dir):
    return load_fixture(fixtures_dir, "uniformer_s_t16_96")


@pytest.mark.parametrize("rule,suffix", [("A", ""), ("B", "_ruleB")])
def test_uniformer_s_matches_svmix_original(fx, rule, suffix, tmp_path):
    model = UniFormer(num_classes=11).eval()
    assert params(model) == fx["meta"]["num_params"] == 21_200_843
    load_checkpoint(write_svmix_checkpoint(fx, rule, tmp_path / "uni.pth"), model, strict=True,
                    checkpoint_type="svmix")
    with torch.no_grad():
        feats = model.forward_features(fx["input"])
        logits = model.forward_head(feats)
    assert feats.shape == fx["feature_map" + suffix].shape == (1, 512, 8, 3, 3)
    assert rel(logits, fx["output" + suffix]) < 1e-4
    assert rel(feats, fx["feature_map" + suffix]) < 1e-4
    assert torch.allclose(logits.softmax(-1), fx["scores" + suffix], atol=1e-4)

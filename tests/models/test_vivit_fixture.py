"""ViViT-S (factorised encoder) against the SV-Mix original: logits, the spatial map and the temporal
tokens, rules A and B, loaded through load_checkpoint(checkpoint_type="svmix")."""
import pytest
import torch
from backbone_helpers import load_fixture, params, rel, write_svmix_checkpoint

from svit.checkpoint import load_checkpoint
from svit.models.vivit import ViViT


@pytest.fixture(scope="module")
def fx(fixtures_dir):
    return load_fixture(fixtures_dir, "vivit_s_t16_112")


@pytest.mark.parametrize("rule,suffix", [("A", ""), ("B", "_ruleB")])
def test_vivit_s_matches_svmix_original(fx, rule, suffix, tmp_path):
    model = ViViT(num_classes=11, img_size=112, num_frames=16).eval()
    assert params(model) == fx["meta"]["num_params"] == 29_013_131
    load_checkpoint(write_svmix_checkpoint(fx, rule, tmp_path / "vivit.pth"), model, strict=True,
                    checkpoint_type="svmix")
    with torch.no_grad():
        spatial, temporal = model.forward_feature_pair(fx["input"])
        feats = model.forward_features(fx["input"])
        logits = model(fx["input"])
    assert spatial.shape == (1, 384, 8, 7, 7) and temporal.shape == (1, 384, 8)
    assert torch.equal(feats, spatial)
    assert rel(logits, fx["output" + suffix]) < 1e-4
    assert rel(spatial, fx["feature_map" + suffix]) < 1e-4
    assert rel(temporal, fx["feature_map_t" + suffix]) < 1e-4
    assert torch.allclose(logits.softmax(-1), fx["scores" + suffix], atol=1e-4)

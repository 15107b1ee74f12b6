"""K400 initialisation: a PySlowFast-format MViT checkpoint (400-ish classes, crop 32) loads into an
SViT at crop 48 with another class count: backbone tensors copied, relative-position tables
resampled (1-D linear) to the new lengths, head and object parts left at their fresh values."""
from __future__ import annotations

import torch
from mvit_cfgs import micro_cfg

from svit.checkpoint import load_checkpoint
from svit.models import build_model
from svit.models.mvit.rel_pos import resample_rel_pos


def _load_pretrained(model, path):
    """svit.checkpoint.load_checkpoint (slowfast adapter); returns the skipped keys, the keys left at
    init and the report."""
    report = load_checkpoint(str(path), model, checkpoint_type="slowfast")
    skipped = sorted(k for k, _, _ in report.skipped)
    return skipped, sorted(set(report.missing) | set(skipped)), report


def test_k400_mvit_checkpoint_initialises_svit(tmp_path):
    torch.manual_seed(0)
    k400 = build_model(micro_cfg("MViT", ["MODEL.NUM_CLASSES", 400]))
    path = tmp_path / "k400_mvit.pyth"
    torch.save({"model_state": k400.state_dict()}, path)
    src = k400.state_dict()

    svit = build_model(micro_cfg("SViT", ["DATA.TRAIN_CROP_SIZE", 48, "DATA.TEST_CROP_SIZE", 48,
                                          "MODEL.NUM_CLASSES", 11]))
    fresh = {k: v.clone() for k, v in svit.state_dict().items()}
    skipped, fresh_keys, report = _load_pretrained(svit, path)
    now = svit.state_dict()

    assert skipped == ["head.projection.bias", "head.projection.weight"]
    assert set(fresh_keys) == {
        "object_queries", "pos_embed_temporal", "head.projection.weight", "head.projection.bias",
        "head.boxes_mlp.0.weight", "head.boxes_mlp.0.bias", "head.boxes_bce_mlp.weight",
        "head.boxes_bce_mlp.bias", "head.contact_mlp.weight", "head.contact_mlp.bias",
    }
    for k in fresh_keys:
        torch.testing.assert_close(now[k], fresh[k])  # untouched
    n_resampled = 0
    for k, v in src.items():
        if k.startswith("head."):
            continue
        if k.rsplit(".", 1)[-1] in ("rel_pos_h", "rel_pos_w") and v.shape != now[k].shape:
            assert now[k].shape[0] > v.shape[0]  # crop 48 > 32: longer tables
            torch.testing.assert_close(now[k], resample_rel_pos(v, now[k].shape[0]))
            n_resampled += 1
        else:
            torch.testing.assert_close(now[k], v)  # backbone tensor copied as is
    assert n_resampled >= 2 * 5  # h and w tables of every block changed length
    assert len(report.resampled) == n_resampled
    assert all(old[0] < new[0] for _, old, new in report.resampled)
    with torch.no_grad():
        out = svit.eval()(torch.randn(1, 3, 4, 48, 48))
    assert out["logits"].shape == (1, 11)


def test_slowfast_adapter_strips_ddp_prefix(fixtures_dir):
    from svit.checkpoint import LoadReport
    from svit.models.adapters.registry import ADAPTER_REGISTRY

    state = torch.load(fixtures_dir / "svit_micro.pyth", map_location="cpu", weights_only=True)["model_state"]
    wrapped = {"module." + k: v for k, v in state.items()}
    model = build_model(micro_cfg("SViT"))
    model.load_state_dict(ADAPTER_REGISTRY.get("slowfast")(wrapped, model, LoadReport("k400.pyth")), strict=True)
    torch.testing.assert_close(model.object_queries.data, state["object_queries"])

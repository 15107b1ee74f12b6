"""Side4Video computes the original's function (tests/fixtures/reference/side4video, README there).

Every fixture goes through the user path: a config naming the weights file (``TOWER auto`` reads
the tower off its shapes), the engine's model-prepare steps, ``load_checkpoint`` with the
``clip``/``side4video`` adapters, then a forward on the stored input. Rule-B tensors are the real
equivalence check (rule A is nearly input-independent through this architecture, README).
"""
from __future__ import annotations

import pytest
import torch
from fixture_weights import fixture_state_dict
from side4video_helpers import frames_to_clip, save_project_checkpoint, side4video_cfg

from svit.checkpoint import load_checkpoint
from svit.models import build_model
from svit.models.prepare import load_init_checkpoints, resolve_model_config

RULES = [("A", ""), ("B", "_ruleB")]


def assert_rel(got: torch.Tensor, want: torch.Tensor, tol: float = 1e-4) -> None:
    err = (got - want).abs().max().item()
    assert err <= tol * max(want.abs().max().item(), 1e-6), f"max |diff| {err:.3g} vs max |ref| {want.abs().max():.3g}"


class Recorder:
    """Captures the intermediates the fixtures store, via forward hooks on our modules."""

    def __init__(self, model) -> None:
        self.out: dict[str, torch.Tensor] = {}
        model.side_stem.register_forward_hook(lambda m, i, o: self.out.__setitem__("side_stem", o))
        model.side_blocks[0].register_forward_hook(lambda m, i, o: self.out.__setitem__("side_block0", o))
        model.side_blocks[-1].register_forward_hook(lambda m, i, o: self.out.__setitem__("side_block_last", o))
        model.backbone.resblocks[-1].register_forward_hook(
            lambda m, i, o: self.out.__setitem__("backbone_last_cls", o[:, 0])
        )


def check_outputs(model, ref: dict, suffix: str, frames: int) -> None:
    rec = Recorder(model)
    x = frames_to_clip(ref["input"], frames)
    with torch.no_grad():
        feat = model.forward_features(x)
        logits = model.forward_head(feat)
    assert_rel(logits, ref["output" + suffix])
    assert_rel(feat.flatten(2).mean(-1), ref["feature" + suffix])
    if ("side_stem" + suffix) in ref:
        assert_rel(rec.out["side_stem"], ref["side_stem" + suffix])
        # the original keeps side tokens sequence-first (N, B*T, D); ours are (B*T, N, D)
        assert_rel(rec.out["side_block0"].transpose(0, 1), ref["side_block0" + suffix])
        assert_rel(rec.out["side_block_last"].transpose(0, 1), ref["side_block_last" + suffix])
        assert_rel(rec.out["backbone_last_cls"], ref["backbone_last_cls" + suffix])


@pytest.mark.parametrize("rule,suffix", RULES, ids=["ruleA", "ruleB"])
def test_tiny_openai_archive_through_clip_weights(fixtures_dir, tmp_path, rule, suffix) -> None:
    """(b): SIDE4VIDEO.CLIP_WEIGHTS = the TorchScript archive; side+head from a project checkpoint."""
    ref = torch.load(fixtures_dir / "side4video" / "side4video_tiny_w64_l2_p16_r64_f8.pt", weights_only=True)
    archive = fixtures_dir / "side4video" / ref["clip_archive" + suffix]
    cfg = side4video_cfg(side_dim=64, crop=64, TOWER="auto", CLIP_WEIGHTS=str(archive))
    resolve_model_config(cfg)
    assert (cfg.SIDE4VIDEO.TOWER, cfg.SIDE4VIDEO.WIDTH, cfg.SIDE4VIDEO.DEPTH, cfg.SIDE4VIDEO.PATCH_SIZE) == (
        "custom", 64, 2, 16
    )
    model = build_model(cfg).eval()
    (report,) = load_init_checkpoints(cfg, model)
    assert sorted(report.loaded) == sorted(k for k in model.state_dict() if k.startswith("backbone."))
    dropped = dict(report.dropped)
    for key in ("visual.ln_post.weight", "visual.proj", "input_resolution", "context_length", "vocab_size",
                "text_projection", "transformer.resblocks.0.attn.in_proj_weight"):
        assert key in dropped, key
    assert model.backbone.conv1.weight.dtype == torch.float32  # the archive's fp16, cast
    side = {k: v for k, v in fixture_state_dict(ref["side_keys"], rule).items() if v.is_floating_point()}
    ckpt = save_project_checkpoint(tmp_path / "side.pt", side)
    side_report = load_checkpoint(str(ckpt), model, checkpoint_type="side4video")
    assert not side_report.unexpected and len(side_report.loaded) == len(side)
    check_outputs(model, ref, suffix, frames=8)


@pytest.fixture(scope="module")
def b32_ref(fixtures_dir):
    return torch.load(fixtures_dir / "side4video" / "side4video_vitb32_f8.pt", weights_only=True)


@pytest.mark.parametrize("rule,suffix", RULES, ids=["ruleA", "ruleB"])
def test_vitb32_project_checkpoint(b32_ref, tmp_path, rule, suffix) -> None:
    """(a): a full project checkpoint (tower + side + fc, DDP names) loaded strictly; B/32 at 8x224."""
    ckpt = save_project_checkpoint(tmp_path / "s4v_b32.pt", fixture_state_dict(b32_ref["keys"], rule))
    cfg = side4video_cfg(side_dim=320, TOWER="auto", CLIP_WEIGHTS=str(ckpt))
    resolve_model_config(cfg)
    assert (cfg.SIDE4VIDEO.WIDTH, cfg.SIDE4VIDEO.DEPTH, cfg.SIDE4VIDEO.PATCH_SIZE) == (768, 12, 32)
    model = build_model(cfg).eval()
    load_checkpoint(str(ckpt), model, strict=True, checkpoint_type="side4video")
    check_outputs(model, b32_ref, suffix, frames=8)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == b32_ref["meta"]["params_trainable"]
    assert sum(p.numel() for p in model.parameters()) == b32_ref["meta"]["params_total"]

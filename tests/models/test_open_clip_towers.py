"""open_clip towers that are not OpenAI's architecture (issue 19, item 6).

Before: an open_clip state dict built with exact GELU (``ViT-B-16.json``, the LAION-2B/DataComp
tags), head width 80 (``ViT-H-14``) or without ``ln_pre`` (CLIPA) loaded "cleanly" into a QuickGELU,
head-width-64, ``ln_pre`` tower and computed another function. Now such a file must name its
activation and head width (SIDE4VIDEO.ACTIVATION / HEAD_WIDTH; the tensors cannot show them), ``ln_pre``
and the MLP width are read off the file, and each block's output equals open_clip's own forward.
The equivalence tests need ``open_clip_torch`` (the "dev" extra) and are skipped without it.
"""
from __future__ import annotations

import importlib.util

import pytest
import torch
from side4video_helpers import side4video_cfg, tiny_clip_state

from svit.checkpoint import CheckpointError
from svit.models import build_model
from svit.models.prepare import load_init_checkpoints, resolve_model_config


def _cfg(path, **keys):
    return side4video_cfg(num_classes=5, side_dim=64, crop=32, frames=2, CLIP_WEIGHTS=str(path), **keys)


def test_state_dict_without_a_named_activation_is_refused(tmp_path):
    path = tmp_path / "open_clip_model.bin"
    torch.save(tiny_clip_state(width=64, layers=2, patch=16, res=32), path)
    for keys in (dict(TOWER="auto"), dict(TOWER="auto", ACTIVATION="gelu"), dict(TOWER="auto", HEAD_WIDTH=64),
                 dict(TOWER="custom", WIDTH=64, DEPTH=2, HEADS=1, PATCH_SIZE=16)):
        with pytest.raises(CheckpointError) as err:
            resolve_model_config(_cfg(path, **keys))
        msg = str(err.value)
        assert str(path) in msg and "SIDE4VIDEO.ACTIVATION quick_gelu" in msg and "HEAD_WIDTH" in msg, keys
    cfg = _cfg(path, TOWER="auto", ACTIVATION="gelu", HEAD_WIDTH=32)
    resolve_model_config(cfg)
    assert (cfg.SIDE4VIDEO.ACTIVATION, cfg.SIDE4VIDEO.HEADS, cfg.SIDE4VIDEO.LN_PRE) == ("gelu", 2, True)


def test_ln_pre_mismatch_between_file_and_model_is_refused(tmp_path):
    path = tmp_path / "clipa.bin"
    sd = {k: v for k, v in tiny_clip_state(width=64, layers=2, patch=16, res=32).items() if "ln_pre" not in k}
    torch.save(sd, path)
    cfg = _cfg(path, TOWER="custom", WIDTH=64, DEPTH=2, HEADS=1, PATCH_SIZE=16, ACTIVATION="gelu")
    resolve_model_config(cfg)
    with pytest.raises(CheckpointError, match=r"clipa\.bin: its image tower is a clip tower width 64, 2 blocks, "
                                              r"patch 16, no ln_pre, but the model was built with a clip tower"):
        load_init_checkpoints(cfg, build_model(cfg))


needs_open_clip = pytest.mark.skipif(
    importlib.util.find_spec("open_clip") is None, reason="open_clip_torch not installed (pip install -e '.[dev]')"
)


def _open_clip_tower(quick_gelu: bool, **vision):
    from open_clip.model import CLIPVisionCfg, _build_vision_tower

    torch.manual_seed(0)
    vcfg = CLIPVisionCfg(**dict(dict(layers=2, width=64, patch_size=8, image_size=32, head_width=32), **vision))
    tower = _build_vision_tower(16, vcfg, quick_gelu=quick_gelu).eval()
    with torch.no_grad():  # move every tensor off its init (unit LayerNorms, zero biases hide mistakes)
        for p in tower.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return tower


def _their_blocks(tower, x):
    outs = []
    hooks = [b.register_forward_hook(lambda m, i, o: outs.append(o)) for b in tower.transformer.resblocks]
    with torch.no_grad():
        tower(x)
    for h in hooks:
        h.remove()
    if not tower.transformer.batch_first:
        outs = [o.transpose(0, 1) for o in outs]
    return outs


def _our_blocks(tmp_path, tower, **keys):
    path = tmp_path / "open_clip_visual.bin"
    torch.save({"visual." + k: v for k, v in tower.state_dict().items()}, path)
    cfg = _cfg(path, TOWER="auto", **keys)
    resolve_model_config(cfg)
    model = build_model(cfg).eval()
    (report,) = load_init_checkpoints(cfg, model)
    assert not [k for k in report.missing if k.startswith("backbone.")]
    return model, cfg


CASES = {
    "ViT-B-16 (GELU)": (False, {}, dict(ACTIVATION="gelu", HEAD_WIDTH=32)),
    "ViT-B-16-quickgelu": (True, {}, dict(ACTIVATION="quick_gelu", HEAD_WIDTH=32)),
    "ViT-H-14 (head width 80 -> 16 here)": (False, dict(head_width=16), dict(ACTIVATION="gelu", HEAD_WIDTH=16)),
    "CLIPA (no ln_pre)": (False, dict(no_ln_pre=True), dict(ACTIVATION="gelu", HEAD_WIDTH=32)),
    "ViT-bigG-14 (MLP ratio 4.9231)": (False, dict(mlp_ratio=4.9231), dict(ACTIVATION="gelu", HEAD_WIDTH=32)),
}


@needs_open_clip
@pytest.mark.parametrize("name", list(CASES))
def test_every_block_equals_open_clips_forward(tmp_path, name):
    quick, vision, keys = CASES[name]
    tower = _open_clip_tower(quick, **vision)
    x = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    theirs = _their_blocks(tower, x)
    model, cfg = _our_blocks(tmp_path, tower, **keys)
    assert cfg.SIDE4VIDEO.LN_PRE == (not vision.get("no_ln_pre", False))
    with torch.no_grad():
        ours = list(model.backbone.block_outputs(x))
    assert len(ours) == len(theirs) == 2
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)  # float32 sums over 64-256 terms


@needs_open_clip
@pytest.mark.parametrize("wrong", [dict(ACTIVATION="quick_gelu", HEAD_WIDTH=32),
                                   dict(ACTIVATION="gelu", HEAD_WIDTH=64)])
def test_a_wrongly_named_architecture_computes_another_function(tmp_path, wrong):
    """What the keys guard against: the same tensors under the other activation or head width."""
    tower = _open_clip_tower(False)
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    theirs = _their_blocks(tower, x)[-1]
    model, _ = _our_blocks(tmp_path, tower, **wrong)
    with torch.no_grad():
        ours = list(model.backbone.block_outputs(x))[-1]
    assert (ours - theirs).abs().max() > 1e-2  # 100x the tolerance of the equivalence test

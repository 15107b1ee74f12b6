"""A file is a CLIP/EVA tower only if it holds a tower's complete tensor set (issue 19, item 5).

Before: an SViT checkpoint given as SIDE4VIDEO.CLIP_WEIGHTS with TOWER auto was read as an EVA tower
(its ``patch_embed.proj.weight`` and ``blocks.N.attn.qkv.weight`` matched), 25 tensors loaded, rc 0.
"""
from __future__ import annotations

import pytest
import torch
from mvit_cfgs import yaml_cfg
from side4video_helpers import side4video_cfg, tiny_clip_state

from svit.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from svit.config import cfg_to_yaml
from svit.models import build_model
from svit.models.prepare import resolve_model_config
from svit.models.side4video import infer_tower_from_state


def _auto(path):
    cfg = side4video_cfg(num_classes=5, side_dim=64, crop=64, frames=4, TOWER="auto", CLIP_WEIGHTS=str(path),
                         ACTIVATION="quick_gelu", HEAD_WIDTH=64)
    resolve_model_config(cfg)
    return cfg


def test_svit_checkpoint_is_not_an_eva_tower(tmp_path):
    cfg = yaml_cfg("synthetic/svit_tiny.yaml")
    path = tmp_path / "svit_epoch_2.pyth"
    save_checkpoint(str(path), build_model(cfg), 2, cfg_yaml=cfg_to_yaml(cfg))
    with pytest.raises(CheckpointError) as err:
        _auto(path)
    msg = str(err.value)
    assert str(path) in msg and "not a complete EVA-CLIP image tower" in msg
    assert "MODEL_NAME 'SViT'" in msg and "q_bias" in msg and "\n" not in msg


def test_svit_checkpoint_through_the_clip_adapter_is_refused(tmp_path):
    """The same file given to a Side4Video model built from a preset (no TOWER auto)."""
    svit_cfg = yaml_cfg("synthetic/svit_tiny.yaml")
    path = tmp_path / "svit.pyth"
    save_checkpoint(str(path), build_model(svit_cfg), 1, cfg_yaml=cfg_to_yaml(svit_cfg))
    model = build_model(side4video_cfg(num_classes=5, side_dim=64, crop=64, frames=4, TOWER="custom", VARIANT="eva",
                                       WIDTH=64, DEPTH=2, HEADS=1, PATCH_SIZE=16, MLP_HIDDEN=128))
    with pytest.raises(CheckpointError, match=r"svit\.pyth is not a complete EVA-CLIP image tower"):
        load_checkpoint(str(path), model, checkpoint_type="clip")


def test_clip_tower_missing_a_block_tensor_is_refused():
    sd = tiny_clip_state(layers=3)
    del sd["visual.transformer.resblocks.1.mlp.c_proj.bias"]
    with pytest.raises(CheckpointError, match=r"1 of its tensors are missing \(visual\.transformer\.resblocks\.1\.mlp"
                                              r"\.c_proj\.bias\)"):
        infer_tower_from_state(sd, "partial.pt")


def test_clip_tower_with_a_gap_in_its_blocks_is_refused():
    sd = {k: v for k, v in tiny_clip_state(layers=3).items() if ".resblocks.1." not in k or not k.startswith("visual")}
    with pytest.raises(CheckpointError, match=r"12 of its tensors are missing \(visual\.transformer\.resblocks\.1\."):
        infer_tower_from_state(sd, "gap.pt")


def test_clip_tower_with_unknown_block_tensors_is_refused():
    """E.g. open_clip's layer scale (``ls_1.gamma``): a tower we would compute without it."""
    sd = tiny_clip_state(layers=2)
    sd["visual.transformer.resblocks.0.ls_1.gamma"] = torch.ones(64)
    with pytest.raises(CheckpointError, match=r"1 block tensors are not part of one \(visual\.transformer\.resblocks"
                                              r"\.0\.ls_1\.gamma\)"):
        infer_tower_from_state(sd, "layerscale.pt")


def test_complete_towers_still_read():
    found = infer_tower_from_state(tiny_clip_state(width=64, layers=3), "ok.pt")
    assert (found["variant"], found["width"], found["layers"], found["ln_pre"]) == ("clip", 64, 3, True)

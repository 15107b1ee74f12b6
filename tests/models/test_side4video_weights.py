"""Side4Video weight files: what loads (OpenAI archive, plain/visual-only CLIP dicts, EVA-CLIP,
project checkpoints) and the clear errors for files that do not fit."""
from __future__ import annotations

import pytest
import torch
from side4video_helpers import save_project_checkpoint, side4video_cfg, tiny_clip_state

from svit.checkpoint import CheckpointError, load_checkpoint
from svit.models import build_model
from svit.models.prepare import load_init_checkpoints, resolve_model_config
from svit.models.side4video import infer_tower_from_weights


def auto_model(path, crop: int = 64, side_dim: int = 64, frames: int = 4, **arch):
    cfg = side4video_cfg(
        num_classes=5, side_dim=side_dim, crop=crop, frames=frames, TOWER="auto", CLIP_WEIGHTS=str(path),
        **(arch or dict(ACTIVATION="quick_gelu", HEAD_WIDTH=64)),
    )
    resolve_model_config(cfg)
    return cfg, build_model(cfg)


def test_plain_clip_state_dict_loads_and_reports(tmp_path) -> None:
    sd = tiny_clip_state(width=64, layers=3)
    torch.save(sd, tmp_path / "openclip.pt")
    cfg, model = auto_model(tmp_path / "openclip.pt")
    assert (cfg.SIDE4VIDEO.WIDTH, cfg.SIDE4VIDEO.DEPTH, cfg.SIDE4VIDEO.HEADS) == (64, 3, 1)
    (rep,) = load_init_checkpoints(cfg, model)
    assert not rep.missing or all(not k.startswith("backbone.") for k in rep.missing)
    want = sd["visual.transformer.resblocks.2.mlp.c_fc.weight"].float()
    torch.testing.assert_close(model.backbone.resblocks[2].mlp.c_fc.weight, want, rtol=0, atol=0)
    reasons = dict(rep.dropped)
    assert "ln_post" in reasons["visual.ln_post.weight"] and "integer" in reasons["vocab_size"]
    assert "text tower" in reasons["transformer.resblocks.0.ln_1.weight"]


def test_visual_only_state_dict(tmp_path) -> None:
    sd = {k[len("visual."):]: v for k, v in tiny_clip_state(layers=2).items() if k.startswith("visual.")}
    torch.save({"state_dict": sd}, tmp_path / "visual.pth")
    cfg, model = auto_model(tmp_path / "visual.pth")
    (rep,) = load_init_checkpoints(cfg, model)
    assert len([k for k in rep.loaded if k.startswith("backbone.")]) == len(model.backbone.state_dict())


def test_positional_embedding_resampled_for_another_crop(tmp_path) -> None:
    torch.save(tiny_clip_state(res=64), tmp_path / "r64.pt")
    cfg, model = auto_model(tmp_path / "r64.pt", crop=96)
    (rep,) = load_init_checkpoints(cfg, model)
    assert rep.resampled == [("backbone.positional_embedding", (17, 64), (37, 64))]
    assert model(torch.randn(1, 3, 4, 96, 96)).shape == (1, 5)


def test_file_neither_torchscript_nor_state_dict(tmp_path) -> None:
    bad = tmp_path / "ViT-B-16.pt"
    bad.write_bytes(b"<html>404 not found</html>" * 10)
    with pytest.raises(CheckpointError, match="ViT-B-16.pt"):
        infer_tower_from_weights(str(bad))
    torch.save(["not", "weights"], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="list.pt"):
        auto_model(tmp_path / "list.pt")
    torch.save({"layer1.0.conv1.weight": torch.zeros(2, 2)}, tmp_path / "resnet.pt")
    with pytest.raises(CheckpointError, match="resnet.pt.*no CLIP/EVA image tower"):
        auto_model(tmp_path / "resnet.pt")


@pytest.mark.parametrize("width,patch,layers", [(96, 16, 2), (64, 8, 2), (64, 16, 3)])
def test_tower_that_does_not_fit_the_config(tmp_path, width, patch, layers) -> None:
    path = tmp_path / f"w{width}_p{patch}_l{layers}.pt"
    torch.save(tiny_clip_state(width=width, patch=patch, layers=layers), path)
    cfg = side4video_cfg(num_classes=5, side_dim=64, crop=64, TOWER="custom", WIDTH=64, DEPTH=2, HEADS=1,
                         PATCH_SIZE=16, CLIP_WEIGHTS=str(path), ACTIVATION="quick_gelu")
    model = build_model(cfg)
    with pytest.raises(CheckpointError, match=rf"{path.name}.*width {width}, {layers} blocks, patch {patch}.*"
                                              r"built with a clip tower width 64, 2 blocks, patch 16"):
        load_init_checkpoints(cfg, model)


def test_crop_not_a_multiple_of_the_patch(tmp_path) -> None:
    torch.save(tiny_clip_state(), tmp_path / "p16.pt")
    with pytest.raises(CheckpointError, match="TRAIN_CROP_SIZE 72 is not a multiple of the tower's patch size 16.*p16"):
        auto_model(tmp_path / "p16.pt", crop=72)


def test_project_checkpoint_round_trip_and_mismatches(tmp_path) -> None:
    torch.save(tiny_clip_state(layers=2), tmp_path / "clip.pt")
    cfg, model = auto_model(tmp_path / "clip.pt")
    load_init_checkpoints(cfg, model)
    model.eval()
    original = to_original_names(model.state_dict())
    ckpt = save_project_checkpoint(tmp_path / "model_best.pt", original)
    _, again = auto_model(ckpt)
    load_checkpoint(str(ckpt), again.eval(), strict=True, checkpoint_type="side4video")
    x = torch.randn(2, 3, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x), rtol=0, atol=0)
    # another side width
    cfg2 = side4video_cfg(num_classes=5, side_dim=128, crop=64, frames=4, TOWER="custom", WIDTH=64, DEPTH=2,
                          HEADS=1, PATCH_SIZE=16)
    with pytest.raises(CheckpointError, match="model_best.pt: side network width 64, but SIDE4VIDEO.SIDE_DIM is 128"):
        load_checkpoint(str(ckpt), build_model(cfg2), checkpoint_type="side4video")
    # another tower
    cfg3 = side4video_cfg(num_classes=5, side_dim=64, crop=64, frames=4, TOWER="custom", WIDTH=64, DEPTH=3,
                          HEADS=1, PATCH_SIZE=16)
    with pytest.raises(CheckpointError, match="model_best.pt: its image tower is a clip tower width 64, 2 blocks"):
        load_checkpoint(str(ckpt), build_model(cfg3), checkpoint_type="side4video")
    # clip weights into another family
    from svit.config import get_cfg

    other = get_cfg()
    other.MODEL.MODEL_NAME = "TSN"
    with pytest.raises(CheckpointError, match="clip.pt: CHECKPOINT_TYPE 'clip' loads into Side4Video models"):
        load_checkpoint(str(tmp_path / "clip.pt"), build_model(other), checkpoint_type="clip")


def to_original_names(state: dict) -> dict:
    """Our CLIP-variant names -> the Side4Video project's VideoCLIP names (written independently)."""
    out = {}
    for k, v in state.items():
        if k.startswith("backbone.resblocks."):
            k = "visual.transformer." + k[len("backbone."):]
        elif k.startswith("backbone."):
            k = "visual." + k[len("backbone."):]
        elif k.startswith("side_stem.conv."):
            k = "visual.side_conv1." + k.split(".")[-1]
        elif k.startswith("side_stem.bn."):
            k = "visual.side_pre_bn3d." + k.split(".")[-1]
        elif k.startswith("side_post_bn."):
            k = "visual." + k
        elif k == "side_pos_embed":
            k = "visual.transformer.side_spatial_position_embeddings"
        elif k.startswith("side_projs."):
            _, i, part, leaf = k.split(".")
            k = f"visual.transformer.side_{'lns' if part == 'norm' else 'linears'}.{i}.{leaf}"
        elif k.startswith("side_blocks."):
            k = "visual.transformer.side_transformer." + k[len("side_blocks."):]
            k = k.replace("conv.pw1", "conv.0").replace("conv.dw", "conv.1").replace("conv.pw2", "conv.2")
        out[k] = v
    return out


def test_config_errors_name_the_key() -> None:
    with pytest.raises(ValueError, match="SIDE4VIDEO.TOWER 'ViT-B/8' is unknown"):
        build_model(side4video_cfg(TOWER="ViT-B/8"))
    with pytest.raises(ValueError, match="backbone_dtype must be one of"):
        build_model(side4video_cfg(num_classes=5, side_dim=64, crop=64, TOWER="custom", WIDTH=64, DEPTH=1, HEADS=1,
                                   BACKBONE_DTYPE="float8"))
    with pytest.raises(ValueError, match="TOWER 'auto' needs SIDE4VIDEO.CLIP_WEIGHTS"):
        resolve_model_config(side4video_cfg(TOWER="auto"))
    with pytest.raises(ValueError, match="TOWER is 'auto' but was not resolved"):
        build_model(side4video_cfg(TOWER="auto", CLIP_WEIGHTS="/nonexistent/ViT-B-16.pt"))

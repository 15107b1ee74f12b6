"""The Video Swin / UniFormer / ViViT recipes load, build and have the published sizes; the synthetic
smoke configs build small models that train (one optimiser step changes the weights)."""
import pytest
import torch

from svit.config import load_config
from svit.models import build_model

RECIPES = {
    "configs/swin/k400_swin_s_877.yaml": ("VideoSwin", 400, 49_816_678),
    "configs/swin/ssv2_swin_s_447.yaml": ("VideoSwin", 174, 49_261_620),
    "configs/uniformer/k400_uniformer_s16x4.yaml": ("UniFormer", 400, 21_400_400),
    "configs/uniformer/ssv2_uniformer_s16.yaml": ("UniFormer", 174, 21_284_462),
    "configs/vivit/k400_vivit_s.yaml": ("ViViT", 400, 29_219_344),
    "configs/vivit/ssv2_vivit_s.yaml": ("ViViT", 174, 29_132_334),
}


@pytest.mark.parametrize("path", sorted(RECIPES))
def test_recipe_builds_with_published_size(path):
    name, classes, size = RECIPES[path]
    cfg = load_config(path, [])
    assert cfg.MODEL.MODEL_NAME == name and cfg.MODEL.NUM_CLASSES == classes
    assert cfg.TRAIN.CHECKPOINT_TYPE in {"videoswin", "uniformer", "deit"}
    with torch.device("meta"):
        model = build_model(cfg)
    assert sum(p.numel() for p in model.parameters()) == size


@pytest.mark.parametrize("name", ["swin", "uniformer", "vivit"])
def test_synthetic_config_trains_a_step(name):
    cfg = load_config(f"configs/synthetic/{name}_tiny.yaml", [])
    torch.manual_seed(0)
    model = build_model(cfg)
    x = torch.randn(2, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TRAIN_CROP_SIZE)
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1]))
    loss.backward()
    opt.step()
    assert torch.isfinite(loss)
    changed = sum(not torch.equal(a, p) for a, p in zip(before, model.parameters()))
    assert changed > 0.9 * len(before)

"""Parameter/FLOP counting and tools/model_info.py on a tiny model whose FLOPs are known by hand."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import torch
import torch.nn as nn

from svit.config import get_cfg
from svit.engine.model_info import model_stats
from svit.models import build_model
from svit.models.registry import MODEL_REGISTRY
from svit.utils import flop_handles
from svit.utils.flops import count_params, gflops

REPO = Path(__file__).resolve().parents[2]


class TinyStatsNet(nn.Module):
    """Conv3d(3->4, 1x3x3, pad 1) + global mean + Linear(4->K); returns a dict like SViT does."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 4, (1, 3, 3), padding=(0, 1, 1))
        self.fc = nn.Linear(4, num_classes)
        self.frozen = nn.Parameter(torch.zeros(7), requires_grad=False)
        self.drop = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> dict:
        assert not self.training, "FLOPs must be counted in eval mode"
        feat = self.conv(x).mean(dim=(2, 3, 4))
        return {"logits": self.fc(self.drop(feat)), "feat": feat}


@MODEL_REGISTRY.register("TinyStatsNet")
def _build_tiny(cfg):
    return TinyStatsNet(cfg.MODEL.NUM_CLASSES)


def _hand_flops(t: int, size: int, k: int) -> int:
    conv = 4 * 3 * 3 * 3 * t * size * size  # multiply-adds per output element x outputs
    return conv + 4 * k


def test_params_and_flops_by_hand():
    model = TinyStatsNet(5)
    total, trainable = count_params(model)
    conv, fc = 4 * 3 * 9 + 4, 4 * 5 + 5
    assert (total, trainable) == (conv + fc + 7, conv + fc)
    model.train()
    g = gflops(model, torch.zeros(1, 3, 2, 8, 8))
    assert g * 1e9 == _hand_flops(2, 8, 5)
    assert model.training  # mode restored


def test_model_stats_uses_one_test_view_and_extra_handles(monkeypatch):
    cfg = get_cfg()
    cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE, cfg.MODEL.NUM_CLASSES = 3, 6, 2
    stats = model_stats(cfg, TinyStatsNet(2))
    assert stats["gflops"] * 1e9 == _hand_flops(3, 6, 2)
    # A family's handle module is picked up: count every mean as 1000 FLOPs.
    monkeypatch.setattr(flop_handles, "HANDLES", {"aten::mean": lambda inputs, outputs: 1000}, raising=False)
    stats2 = model_stats(cfg, TinyStatsNet(2))
    assert stats2["gflops"] * 1e9 == _hand_flops(3, 6, 2) + 1000


def _load_tool():
    spec = importlib.util.spec_from_file_location("model_info_tool", REPO / "tools" / "model_info.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_model_info_json_prints_exactly_one_object(capsys, tmp_path):
    tool = _load_tool()
    cfg_file = tmp_path / "tiny.yaml"
    cfg_file.write_text("MODEL:\n  MODEL_NAME: TinyStatsNet\n  NUM_CLASSES: 3\n")
    rc = tool.main(["--cfg", str(cfg_file), "--json", "DATA.NUM_FRAMES", "2", "DATA.TEST_CROP_SIZE", "4"])
    out = capsys.readouterr().out
    assert rc == 0
    obj = json.loads(out)  # the whole stdout is one JSON document
    conv, fc = 4 * 3 * 9 + 4, 4 * 3 + 3
    assert obj == {"params": conv + fc + 7, "trainable_params": conv + fc,
                   "gflops": _hand_flops(2, 4, 3) / 1e9}


def test_model_info_config_error_exits_2(capsys, tmp_path):
    tool = _load_tool()
    cfg_file = tmp_path / "empty.yaml"
    cfg_file.write_text("")
    assert tool.main(["--cfg", str(cfg_file), "MODEL.NUM_CLASSESS", "3"]) == 2
    err = capsys.readouterr().err
    assert "MODEL.NUM_CLASSESS" in err and "MODEL.NUM_CLASSES" in err


def test_h2cn_view_has_its_snippet_frames_and_is_counted():
    """H2CN takes NUM_FRAMES segments x FRAMES_PER_SEGMENT frames: the counted view (and the benchmark's
    clip) must have all of them, else its forward refuses the clip and no GFLOPs are logged."""
    from svit.config import load_config
    from svit.models.input_size import input_frames, test_view_input

    cfg = load_config("configs/synthetic/h2cn_tiny.yaml", [])
    assert cfg.DATA.FRAMES_PER_SEGMENT > 1
    assert test_view_input(cfg).shape[2] == input_frames(cfg) == cfg.DATA.NUM_FRAMES * cfg.DATA.FRAMES_PER_SEGMENT
    assert model_stats(cfg, build_model(cfg))["gflops"] > 0

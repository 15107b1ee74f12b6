"""Side4Video through the engine with a real tower file: ``TOWER auto`` is resolved from the
OpenAI-format TorchScript archive before the config is frozen, the archive initialises the tower
when training starts, the tower stays bit-identical (frozen) while the side network learns, and
the test phase reloads the run's checkpoint strictly."""
from __future__ import annotations

from pathlib import Path

import torch
import yaml

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.engine.run import run_phases

REPO = Path(__file__).resolve().parents[2]


def test_tiny_side4video_from_clip_archive(synthetic_root: str, tmp_path: Path, fixtures_dir: Path) -> None:
    archive = fixtures_dir / "side4video" / "tiny_clip_vit_w64_l2_p16_r64_ruleB.pt"
    out = tmp_path / "run"
    cfg = load_config(
        str(REPO / "configs" / "synthetic" / "side4video_tiny.yaml"),
        [
            "SYNTHETIC.ROOT", synthetic_root, "OUTPUT_DIR", str(out),
            "SIDE4VIDEO.TOWER", "auto", "SIDE4VIDEO.CLIP_WEIGHTS", str(archive),
            "SOLVER.MAX_EPOCH", "1", "TRAIN.MAX_STEPS_PER_EPOCH", "2", "TRAIN.EVAL_PERIOD", "1",
            "TEST.NUM_ENSEMBLE_VIEWS", "1", "TENSORBOARD.ENABLE", "False",
        ],
    )
    result = run_phases(cfg, torch.device("cpu"))
    assert result["test"]["num_videos"] > 0
    written = yaml.safe_load((out / "config.yaml").read_text())["SIDE4VIDEO"]
    assert (written["TOWER"], written["WIDTH"], written["DEPTH"], written["PATCH_SIZE"]) == ("custom", 64, 2, 16)
    (ckpt,) = sorted((out / "checkpoints").glob("checkpoint_epoch_*.pyth"))
    state = read_checkpoint(str(ckpt))["model_state"]
    clip = read_checkpoint(str(archive))
    torch.testing.assert_close(
        state["backbone.resblocks.1.mlp.c_fc.weight"], clip["visual.transformer.resblocks.1.mlp.c_fc.weight"].float(),
        rtol=0, atol=0,
    )
    torch.testing.assert_close(state["backbone.conv1.weight"], clip["visual.conv1.weight"].float(), rtol=0, atol=0)

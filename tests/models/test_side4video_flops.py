"""fvcore GFLOPs of Side4Video ViT-B/16 at 8x224, one view, as ``tools/model_info.py`` counts them
(``svit.engine.model_info.model_stats``, SDPA counted): 176.0 G, the README's count from the original (175.97 G
incl. 8.09 G of attention). Slow on a CPU (a full B/16 forward under the tracer, ~10-45 s); it is
kept in its own file so it can be deselected."""
from __future__ import annotations

from pathlib import Path

from svit.config import load_config
from svit.engine.model_info import model_stats
from svit.models import build_model

REPO = Path(__file__).resolve().parents[2]


def test_vit_b16_gflops_and_params_of_the_recipe() -> None:
    cfg = load_config(str(REPO / "configs" / "side4video" / "k400" / "vit_b16_f8.yaml"), [])
    stats = model_stats(cfg, build_model(cfg))
    assert stats["trainable_params"] == 21_185_232
    assert stats["params"] - stats["trainable_params"] == 85_797_888
    assert round(stats["gflops"], 1) == 176.0

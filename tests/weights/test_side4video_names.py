"""Side4Video reads its tower off SIDE4VIDEO.CLIP_WEIGHTS before building: a catalogue name or URL
works there too, and an OpenAI name is known to be OpenAI's architecture without downloading it."""
from __future__ import annotations

import io
from pathlib import Path

import torch

from svit.config import load_config
from svit.models import build_model
from svit.models.side4video.towers import resolve_tower_config
from svit.weights.resolve import url_filename
from tests.models.side4video_helpers import tiny_clip_state

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_recipe_with_an_openai_name_builds_and_resolves_without_a_download(cache, monkeypatch):
    monkeypatch.setenv("SVIT_OFFLINE", "1")  # any attempt to fetch the file would raise
    cfg = load_config(str(CONFIGS / "side4video/ssv2/vit_b16_f8.yaml"))
    assert cfg.SIDE4VIDEO.CLIP_WEIGHTS == "ViT-B/16"
    with torch.device("meta"):
        model = build_model(cfg)  # tools/model_zoo.py and tools/list.py build it like this
    assert sum(p.numel() for p in model.parameters()) > 80e6
    cfg.defrost()
    resolve_tower_config(cfg)
    assert cfg.SIDE4VIDEO.ACTIVATION == "quick_gelu" and not cache.exists()


def test_tower_auto_reads_the_dims_off_a_url(server, cache):
    buf = io.BytesIO()
    torch.save(tiny_clip_state(width=64, layers=2, patch=16, res=64), buf)
    server.files["/towers/tiny_clip.pt"] = buf.getvalue()
    cfg = load_config(str(CONFIGS / "synthetic/side4video_tiny.yaml"),
                      ["SIDE4VIDEO.TOWER", "auto", "SIDE4VIDEO.ACTIVATION", "quick_gelu", "SIDE4VIDEO.HEAD_WIDTH", "32",
                       "SIDE4VIDEO.CLIP_WEIGHTS", server.url("/towers/tiny_clip.pt")])
    cfg.defrost()
    resolve_tower_config(cfg)
    s = cfg.SIDE4VIDEO
    assert (s.TOWER, s.WIDTH, s.DEPTH, s.HEADS, s.PATCH_SIZE) == ("custom", 64, 2, 2, 16)
    assert (cache / url_filename(server.url("/towers/tiny_clip.pt"))).is_file()
    assert server.gets("/towers/tiny_clip.pt") == [""]

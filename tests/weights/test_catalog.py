"""The catalogue is consistent with the code: every entry names a registered adapter, a real config
key and existing configs; and the Side4Video recipe's default tower weights resolve to the
catalogue's URL."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from svit.config import get_cfg, load_config
from svit.models.adapters import ADAPTER_REGISTRY
from svit.weights import WEIGHT_KEYS, WeightsError, all_entries, entries_for_config, lookup, resolve

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _has_key(cfg, key: str) -> bool:
    node = cfg
    for part in key.split("."):
        if part not in node:
            return False
        node = node[part]
    return True


def test_every_entry_names_an_adapter_a_key_and_existing_configs():
    cfg = get_cfg()
    for key in WEIGHT_KEYS:
        assert _has_key(cfg, key), key
    for e in all_entries():
        assert e.adapter in ADAPTER_REGISTRY, (e.name, e.adapter)
        assert e.key in WEIGHT_KEYS, (e.name, e.key)
        for pattern in e.configs:
            assert list(CONFIGS.glob(pattern)), f"{e.name}: no config matches {pattern}"
        assert set(e.confirmed) == {"url", "sha256", "size"}, e.name
        assert e.source and e.filename and "/" not in e.filename, e.name
        assert e.url.startswith(("https://", "gdrive://", "hf://", "page:https://")), e.name


def test_names_and_files_are_unique():
    names = [n.lower() for e in all_entries() for n in (e.name, *e.aliases)]
    assert len(names) == len(set(names))
    files = [e.filename for e in all_entries()]
    assert len(files) == len(set(files))


def test_checksums_are_confirmed_exactly_where_the_publisher_gives_them():
    for e in all_entries():
        assert bool(e.sha256) == e.confirmed["sha256"], e.name
        assert re.fullmatch(r"[0-9a-f]{8}|[0-9a-f]{64}", e.sha256 or "0" * 8), e.name
        if "openaipublic" in e.url:  # OpenAI CLIP: the path component before the file is the SHA-256
            assert e.url.split("/")[-2] == e.sha256
        if e.url.startswith("https://download.pytorch.org/"):  # torchvision: name-<first 8 hex>.pth
            assert e.filename.endswith(f"-{e.sha256}.pth")


def test_issue_families_are_covered():
    for name in ("svit_ssv2", "svit_k400_init", "mvitv2_s_k400", "mvitv2_s_ssv2", "mvitv1_b_32x3_k400", "ViT-B/32",
                 "ViT-B/16", "ViT-L/14", "EVA02-CLIP-bigE-14", "side4video_ssv2_vit_b16", "videoswin_s_k400",
                 "uniformer_s16x4_k400", "uniformer_s_in1k", "deit_s_in1k", "tsm_r50_k400_f8",
                 "ibm_k400_i3d_r50_f32", "h2cn_k400_f8", "resnet50_in1k", "googlenet_in1k"):
        assert lookup(name) is not None, name


def test_side4video_recipe_resolves_its_tower_to_the_catalogue_url(server, cache, monkeypatch):
    """configs/side4video/ssv2/vit_b16_f8.yaml needs no weights path: SIDE4VIDEO.CLIP_WEIGHTS is
    ViT-B/16, the builder's init_checkpoints hands it to the loader, and resolving it requests
    OpenAI's URL (here through SVIT_WEIGHTS_MIRROR on a loopback server) and checks its SHA-256."""
    from svit.models.side4video.build import init_checkpoints

    cfg = load_config(str(CONFIGS / "side4video/ssv2/vit_b16_f8.yaml"), ["SIDE4VIDEO.CLIP_WEIGHTS", "ViT-B/16"])
    assert load_config(str(CONFIGS / "side4video/ssv2/vit_b16_f8.yaml")).SIDE4VIDEO.CLIP_WEIGHTS == "ViT-B/16"
    [(spec, adapter)] = init_checkpoints(cfg)
    entry = lookup(spec)
    assert adapter == entry.adapter == "clip" and entry.matches_config("side4video/ssv2/vit_b16_f8.yaml")
    assert entry.url == ("https://openaipublic.azureedge.net/clip/models/"
                         "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt")
    monkeypatch.setenv("SVIT_WEIGHTS_MIRROR", server.base)
    served = "/openaipublic.azureedge.net/clip/models/" + entry.sha256 + "/ViT-B-16.pt"
    server.files[served] = b"a stand-in, not OpenAI's archive"
    with pytest.raises(WeightsError, match="checksum mismatch"):
        resolve(spec)
    assert server.gets(served) == [""]


def test_side4video_recipe_offline_says_what_to_download_and_where(cache, monkeypatch):
    monkeypatch.setenv("SVIT_OFFLINE", "1")
    with pytest.raises(WeightsError) as ei:
        resolve(load_config(str(CONFIGS / "side4video/ssv2/vit_b16_f8.yaml")).SIDE4VIDEO.CLIP_WEIGHTS)
    assert str(ei.value) == (
        "SVIT_OFFLINE=1: weights 'ViT-B/16' are not in the cache; fetch https://openaipublic.azureedge.net/clip/"
        "models/5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt and put it at "
        f"{cache / 'ViT-B-16.pt'}"
    )


def test_entries_for_a_config():
    names = {e.name for e in entries_for_config("configs/cnn/k400/i3d_r50_f32.yaml")}
    assert names == {"ibm_k400_i3d_r50_f32", "resnet50_in1k"}

"""tools/download.py: --list, NAME/URL downloads, --for-config and --verify."""
from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

from svit.weights.resolve import url_filename

REPO = Path(__file__).resolve().parents[2]


def tool():
    spec = importlib.util.spec_from_file_location("tool_download", REPO / "tools" / "download.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_list_shows_every_entry_with_configs_and_cached_state(cache, capsys):
    cache.mkdir(parents=True)
    (cache / "ViT-B-16.pt").write_bytes(b"x")
    assert tool().main(["--list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["ViT-B/16"]["cached"] is True and rows["ViT-B/32"]["cached"] is False
    assert "side4video/ssv2/vit_b16_f8.yaml" in rows["ViT-B/16"]["configs"]
    assert rows["ViT-B/16"]["confirmed"] == {"url": True, "sha256": True, "size": False}
    assert rows["h2cn_k400_f8"]["manual"] is True
    assert tool().main(["--list"]) == 0
    text = capsys.readouterr().out
    assert "* ViT-B/16" in text and "manual h2cn_k400_f8" in text


def test_names_and_urls_are_downloaded(server, cache, capsys):
    server.files["/dl/a.pth"] = b"abc"
    assert tool().main([server.url("/dl/a.pth")]) == 0
    a = cache / url_filename(server.url("/dl/a.pth"))
    assert a.read_bytes() == b"abc" and a.name.endswith("-a.pth")
    assert str(a) in capsys.readouterr().out
    assert tool().main(["no_such_weights"]) == 1
    assert "not a file, a URL or a catalogue name" in capsys.readouterr().err


def test_for_config_fetches_the_keys_the_recipe_sets(server, cache, capsys, monkeypatch):
    server.files["/dl/init.pyth"] = b"init"
    cfg = str(REPO / "configs/cnn/k400/i3d_r50_f32.yaml")
    rc = tool().main(["--for-config", cfg, "--opts", "TRAIN.CHECKPOINT_FILE_PATH", server.url("/dl/init.pyth")])
    out = capsys.readouterr().out
    assert rc == 0 and (cache / url_filename(server.url("/dl/init.pyth"))).read_bytes() == b"init"
    assert "CNN.IMAGENET_WEIGHTS resnet50_in1k" in out and "TEST.CHECKPOINT_FILE_PATH ibm_k400_i3d_r50_f32" in out
    monkeypatch.setenv("SVIT_OFFLINE", "1")
    assert tool().main(["--for-config", str(REPO / "configs/side4video/ssv2/vit_b16_f8.yaml")]) == 1
    err = capsys.readouterr().err
    assert "SIDE4VIDEO.CLIP_WEIGHTS ViT-B/16: SVIT_OFFLINE=1" in err and str(cache / "ViT-B-16.pt") in err


def test_verify_rehashes_the_cache(server, cache, capsys):
    server.files["/dl/rec.pth"] = b"recorded"
    tool().main([server.url("/dl/rec.pth")])  # first download records its SHA-256
    (cache / "resnet18-f37072fd.pth").write_bytes(b"not torchvision's file")
    capsys.readouterr()
    assert tool().main(["--verify"]) == 1
    out = capsys.readouterr().out
    rec = url_filename(server.url("/dl/rec.pth"))
    assert f"ok {rec}" in out and "BAD resnet18-f37072fd.pth: expected SHA-256 f37072fd" in out
    (cache / "resnet18-f37072fd.pth").unlink()
    (cache / rec).write_bytes(b"changed on disk")
    assert tool().main(["--verify"]) == 1
    assert f"expected SHA-256 {hashlib.sha256(b'recorded').hexdigest()}" in capsys.readouterr().out

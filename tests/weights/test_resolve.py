"""resolve(): paths, URLs and names; unknown names get the closest ones; every weights key goes
through read_checkpoint, so a URL or name loads like a path."""
from __future__ import annotations

import hashlib
import io

import pytest
import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, load_checkpoint
from svit.weights import WeightsError, resolve
from svit.weights.resolve import entry_for, url_filename


def test_existing_path_wins_over_a_catalogue_name(tmp_path, monkeypatch, cache):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "svit_ssv2").write_bytes(b"local file")
    assert resolve("svit_ssv2") == tmp_path.joinpath("svit_ssv2").relative_to(tmp_path)
    assert not cache.exists()  # nothing was downloaded


def test_unknown_name_suggests_the_closest_names(cache):
    with pytest.raises(WeightsError) as ei:
        resolve("svit_ssv3")
    assert "closest names: svit_ssv2" in str(ei.value) and "tools/download.py --list" in str(ei.value)
    with pytest.raises(WeightsError, match=r"closest names: ViT-B/16"):
        resolve("ViT-B/17")


def test_missing_path_is_left_to_the_loader(cache, tmp_path):
    missing = tmp_path / "nope.pyth"
    assert resolve(str(missing)) == missing
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(str(missing), nn.Linear(2, 2))


def test_names_are_case_insensitive_and_have_aliases():
    assert entry_for("vit-b/16") is entry_for("ViT-B/16") is entry_for("clip_vit_b16")
    assert entry_for("ViT-B/16").sha256 == "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f"


def test_url_outside_the_catalogue_gets_its_file_name():
    e = entry_for("https://example.org/a/b/model_final.pyth")
    assert e.filename.endswith("-model_final.pyth") and e.sha256 == ""
    assert entry_for("https://example.org/c/model_final.pyth").filename != e.filename  # same name, other URL
    assert entry_for("hf://org/repo/w.pt").url == "hf://org/repo/w.pt"


def test_checkpoint_key_given_a_url_downloads_and_loads(server, cache):
    """TEST.CHECKPOINT_FILE_PATH https://... : load_checkpoint (read_checkpoint) resolves the URL."""
    src = nn.Linear(3, 2)
    buf = io.BytesIO()
    torch.save({"model_state": src.state_dict(), "epoch": 4}, buf)
    server.files["/ckpt/model.pyth"] = buf.getvalue()
    dst = nn.Linear(3, 2)
    report = load_checkpoint(server.url("/ckpt/model.pyth"), dst)
    assert report.loaded == ["bias", "weight"] and report.epoch == 4
    assert torch.equal(dst.weight, src.weight)
    assert (cache / url_filename(server.url("/ckpt/model.pyth"))).read_bytes() == buf.getvalue()
    load_checkpoint(server.url("/ckpt/model.pyth"), nn.Linear(3, 2))  # second load: from the cache
    assert server.gets("/ckpt/model.pyth") == [""]


def test_catalogue_name_is_fetched_through_the_mirror(server, cache, monkeypatch):
    """A catalogue entry with a full SHA-256 (OpenAI CLIP): the right URL is requested, and a file
    that is not the published one is refused."""
    monkeypatch.setenv("SVIT_WEIGHTS_MIRROR", server.base)
    e = entry_for("ViT-B/32")
    path = "/openaipublic.azureedge.net/clip/models/" + e.sha256 + "/ViT-B-32.pt"
    server.files[path] = b"not the CLIP archive"
    with pytest.raises(WeightsError) as ei:
        resolve("ViT-B/32")
    assert server.gets(path) == [""]
    assert e.sha256 in str(ei.value) and hashlib.sha256(b"not the CLIP archive").hexdigest() in str(ei.value)
    assert not (cache / "ViT-B-32.pt").exists()


def test_share_page_entries_say_where_to_put_the_file(cache):
    with pytest.raises(WeightsError) as ei:
        resolve("h2cn_k400_f8")
    msg = str(ei.value)
    assert "https://pan.baidu.com/s/16nf9kad6RClaW3NbInsPBA" in msg and str(cache / "h2cn_k400_f8.pth.tar") in msg
    assert "password defq" in msg


def test_empty_value_is_an_error_naming_what_to_give(cache):
    with pytest.raises(CheckpointError, match="empty weights value"):
        resolve("  ")

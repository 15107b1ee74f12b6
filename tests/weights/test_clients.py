"""Google Drive and Hugging Face entries go through gdown / huggingface_hub, tested at the client's
call: the arguments it receives and what happens to the file it returns."""
from __future__ import annotations

import hashlib
import sys
import types

import pytest

from svit.weights import Entry, WeightsError, fetch


def entry(url: str, sha256: str = "") -> Entry:
    return Entry(name="t", url=url, filename="t.pth", adapter="pytorch", key="TRAIN.CHECKPOINT_FILE_PATH",
                 configs=(), source="test", sha256=sha256)


def test_google_drive_goes_through_gdown(cache, monkeypatch):
    calls = []

    def download(id=None, output=None, quiet=False, resume=False, **kw):  # noqa: A002 - gdown's keyword
        calls.append((id, output, resume))
        with open(output, "wb") as f:
            f.write(b"drive bytes")
        return output

    monkeypatch.setitem(sys.modules, "gdown", types.SimpleNamespace(download=download))
    path = fetch(entry("gdrive://FILEID", sha256=hashlib.sha256(b"drive bytes").hexdigest()))
    assert path.read_bytes() == b"drive bytes"
    assert calls == [("FILEID", str(cache / "t.pth.part"), True)]


def test_google_drive_without_gdown_says_how_to_install(cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "gdown", None)  # import gdown -> ImportError
    with pytest.raises(WeightsError, match=r"needs the 'gdown' package.*pip install 'svit\[weights\]'"):
        fetch(entry("gdrive://FILEID"))


def test_google_drive_failure_is_reported_with_the_file_id(cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "gdown", types.SimpleNamespace(download=lambda **kw: None))
    with pytest.raises(WeightsError, match="Google Drive file FILEID .*gdown returned no file") as ei:
        fetch(entry("gdrive://FILEID"))
    assert f"fetch https://drive.google.com/file/d/FILEID/view by hand and put it at {cache / 't.pth'}" in str(ei.value)


def test_hugging_face_goes_through_hf_hub_download(cache, monkeypatch):
    huggingface_hub = pytest.importorskip("huggingface_hub")
    calls = []

    def hf_hub_download(repo_id, filename, local_dir=None, **kw):
        calls.append((repo_id, filename))
        out = f"{local_dir}/{filename}"
        import os

        os.makedirs(local_dir, exist_ok=True)
        with open(out, "wb") as f:
            f.write(b"hub bytes")
        return out

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hf_hub_download)
    path = fetch(entry("hf://QuanSun/EVA-CLIP/EVA02_CLIP_E_psz14_s4B.pt"))
    assert calls == [("QuanSun/EVA-CLIP", "EVA02_CLIP_E_psz14_s4B.pt")]
    assert path.read_bytes() == b"hub bytes" and path == cache / "t.pth"


def test_hugging_face_without_the_client_says_how_to_install(cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(WeightsError, match=r"needs the 'huggingface_hub' package.*svit\[weights\]"):
        fetch(entry("hf://a/b/c.pt"))


def test_offline_names_the_browser_url_of_hub_and_drive_files(cache, monkeypatch):
    monkeypatch.setenv("SVIT_OFFLINE", "1")
    with pytest.raises(WeightsError, match=r"fetch https://huggingface.co/a/b/resolve/main/c.pt and put it at"):
        fetch(entry("hf://a/b/c.pt"))
    with pytest.raises(WeightsError, match=r"fetch https://drive.google.com/file/d/XYZ/view and put it at"):
        fetch(entry("gdrive://XYZ"))

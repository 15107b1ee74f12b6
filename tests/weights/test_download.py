"""Downloads through a loopback server: complete file, progress, resume, checksum, 404, redirect,
offline and unreachable network, and one download when two processes ask at once."""
from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os

import pytest

from svit.weights import Entry, WeightsError, fetch
from svit.weights.cache import CHECKSUMS_FILE

DATA = bytes(range(256)) * 4096  # 1 MiB
DIGEST = hashlib.sha256(DATA).hexdigest()


def entry(url: str, sha256: str = "", name: str = "test_weights", filename: str = "test.pth") -> Entry:
    return Entry(name=name, url=url, filename=filename, adapter="pytorch", key="TRAIN.CHECKPOINT_FILE_PATH",
                 configs=(), source="test", sha256=sha256)


def test_download_verifies_and_renames_into_place(server, cache):
    server.files["/w.pth"] = DATA
    path = fetch(entry(server.url("/w.pth"), sha256=DIGEST))
    assert path == cache / "test.pth" and path.read_bytes() == DATA
    assert not (cache / "test.pth.part").exists()
    assert fetch(entry(server.url("/w.pth"), sha256=DIGEST)) == path  # cached: no second request
    assert server.gets("/w.pth") == [""]


def test_first_download_records_checksum_and_later_downloads_check_it(server, cache):
    server.files["/w.pth"] = DATA
    path = fetch(entry(server.url("/w.pth")))  # the catalogue gives no checksum
    rec = json.loads((cache / CHECKSUMS_FILE).read_text())["test.pth"]
    assert rec["sha256"] == DIGEST and rec["size"] == len(DATA)
    path.unlink()
    server.files["/w.pth"] = DATA[::-1]  # replaced upstream
    with pytest.raises(WeightsError, match=f"expected SHA-256 {DIGEST}"):
        fetch(entry(server.url("/w.pth")))
    assert not path.exists() and not (cache / "test.pth.part").exists()


def test_progress_log_lines_when_not_a_terminal(server, cache, svit_logs):
    caplog = svit_logs  # also after a run in this process has stopped "svit" from propagating
    server.files["/w.pth"] = DATA
    with caplog.at_level(logging.INFO, logger="svit.weights"):
        fetch(entry(server.url("/w.pth")), progress="log")
    lines = [r.getMessage() for r in caplog.records]
    assert any("downloading test_weights (1.0 MB)" in m for m in lines)
    assert any("100% (1.0 of 1.0 MB)" in m for m in lines)


def test_progress_bar_on_stderr(server, cache, capsys):
    server.files["/w.pth"] = DATA
    fetch(entry(server.url("/w.pth")), progress="bar")
    err = capsys.readouterr().err
    assert "test_weights" in err and "100%" in err


def test_resume_after_the_server_cuts_the_connection(server, cache):
    server.files["/w.pth"] = DATA
    server.cut_once.add("/w.pth")
    path = fetch(entry(server.url("/w.pth"), sha256=DIGEST))
    assert path.read_bytes() == DATA
    ranges = server.gets("/w.pth")
    assert ranges[0] == "" and ranges[1] == f"bytes={len(DATA) // 2}-"  # the second asks only for the rest


def test_partial_file_left_by_an_earlier_run_is_resumed(server, cache):
    server.files["/w.pth"] = DATA
    cache.mkdir(parents=True)
    (cache / "test.pth.part").write_bytes(DATA[:1000])
    assert fetch(entry(server.url("/w.pth"), sha256=DIGEST)).read_bytes() == DATA
    assert server.gets("/w.pth") == ["bytes=1000-"]


def test_checksum_mismatch_removes_the_file_and_names_both_hashes(server, cache):
    server.files["/w.pth"] = DATA
    wrong = "0" * 64
    with pytest.raises(WeightsError) as ei:
        fetch(entry(server.url("/w.pth"), sha256=wrong))
    msg = str(ei.value)
    assert wrong in msg and DIGEST in msg and "removed" in msg
    assert not (cache / "test.pth").exists() and not (cache / "test.pth.part").exists()


def test_hash_prefix_in_the_name_is_checked(server, cache):
    server.files["/w.pth"] = DATA
    assert fetch(entry(server.url("/w.pth"), sha256=DIGEST[:8])).read_bytes() == DATA
    with pytest.raises(WeightsError, match="checksum mismatch"):
        fetch(entry(server.url("/w.pth"), sha256="ffffffff", filename="other.pth"))


def test_404_names_url_and_status(server, cache):
    with pytest.raises(WeightsError, match=r"/missing.pth: HTTP 404"):
        fetch(entry(server.url("/missing.pth")))
    assert not (cache / "test.pth").exists()


def test_redirect_is_followed(server, cache):
    server.files["/real/w.pth"] = DATA
    server.redirects["/w.pth"] = server.url("/real/w.pth")
    assert fetch(entry(server.url("/w.pth"), sha256=DIGEST)).read_bytes() == DATA
    assert server.gets("/real/w.pth") == [""]


def test_offline_mode_says_what_to_fetch_and_where(server, cache, monkeypatch):
    monkeypatch.setenv("SVIT_OFFLINE", "1")
    url = server.url("/w.pth")
    with pytest.raises(WeightsError) as ei:
        fetch(entry(url))
    msg = str(ei.value)
    assert msg.startswith("SVIT_OFFLINE=1") and f"fetch {url} and put it at {cache / 'test.pth'}" in msg
    assert "\n" not in msg and server.requests == []


def test_offline_mode_uses_a_file_already_in_the_cache(server, cache, monkeypatch):
    cache.mkdir(parents=True)
    (cache / "test.pth").write_bytes(DATA)
    monkeypatch.setenv("SVIT_OFFLINE", "1")
    assert fetch(entry(server.url("/w.pth"))).read_bytes() == DATA


def test_unreachable_network_says_what_to_fetch_and_where(cache):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused, like a machine without network
    url = f"http://127.0.0.1:{port}/w.pth"
    with pytest.raises(WeightsError, match=f"cannot reach 127.0.0.1:{port} .*fetch {url} and put it at"):
        fetch(entry(url))


def _fetch_in_child(url: str, out) -> None:
    out.put(str(fetch(entry(url, sha256=DIGEST), progress="none")))


def test_two_processes_asking_at_once_download_once(server, cache):
    server.files["/w.pth"] = DATA
    server.slow.add("/w.pth")  # the first download is still running when the second process asks
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_fetch_in_child, args=(server.url("/w.pth"), out)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    paths = {out.get(timeout=5), out.get(timeout=5)}
    assert paths == {str(cache / "test.pth")}
    assert len(server.gets("/w.pth")) == 1
    assert (cache / "test.pth").read_bytes() == DATA and os.path.exists(str(cache / "test.pth") + ".lock")


def test_unwritable_cache_says_which_folder_and_how_to_move_it(server, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SVIT_WEIGHTS_DIR", str(blocker / "weights"))
    monkeypatch.delenv("SVIT_OFFLINE", raising=False)
    with pytest.raises(WeightsError, match=f"cannot create the weights cache {blocker / 'weights'} .*SVIT_WEIGHTS_DIR"):
        fetch(entry(server.url("/w.pth")))


def test_a_failing_disk_keeps_the_partial_file(server, cache, monkeypatch):
    import svit.weights.download as dl

    server.files["/w.pth"] = DATA
    real_open = open

    class FullDisk:
        def __init__(self, f):
            self.f, self.n = f, 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, b):
            if self.n:  # the second chunk finds the disk full
                raise OSError(28, "No space left on device")
            self.n += 1
            return self.f.write(b)

    monkeypatch.setattr(dl, "CHUNK", 4096)
    monkeypatch.setattr(dl, "open", lambda p, mode: FullDisk(real_open(p, mode)), raising=False)
    with pytest.raises(WeightsError, match=r"No space left on device.*next run resumes"):
        fetch(entry(server.url("/w.pth"), sha256=DIGEST))
    assert (cache / "test.pth.part").stat().st_size == 4096
    monkeypatch.delattr(dl, "open")  # the disk has room again
    assert fetch(entry(server.url("/w.pth"), sha256=DIGEST)).read_bytes() == DATA
    assert server.gets("/w.pth")[-1] == "bytes=4096-"

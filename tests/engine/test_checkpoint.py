"""Checkpoint saving (atomic), discovery and loading of foreign formats."""
from __future__ import annotations

import os

import pytest
import torch
import torch.nn as nn

from svit import checkpoint as C
from svit import run_folder as R
from svit.models.adapters import ADAPTER_REGISTRY


class Net(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.head = nn.Linear(4, k)


def test_save_is_atomic_and_old_checkpoint_survives(tmp_path, monkeypatch):
    out = str(tmp_path)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    p1 = C.save_checkpoint(R.checkpoint_path(out, 1), net, 1, opt, cfg_yaml="A: 1\n")
    real_save = torch.save

    def crash(obj, f, *a, **k):
        f.write(b"PK\x03\x04partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError):
        C.save_checkpoint(R.checkpoint_path(out, 2), net, 2, opt)
    monkeypatch.setattr(torch, "save", real_save)
    assert not os.path.exists(R.checkpoint_path(out, 2))
    assert os.listdir(R.checkpoint_dir(out)) == [os.path.basename(p1)]
    # a stray temp file is never picked as the newest checkpoint
    open(os.path.join(R.checkpoint_dir(out), ".checkpoint_epoch_00003.pyth.abc.tmp"), "wb").close()
    assert R.last_checkpoint(out) == p1
    ck = torch.load(p1, weights_only=True)
    assert ck["epoch"] == 1 and ck["cfg"] == "A: 1\n" and "optimizer_state" in ck


@pytest.mark.parametrize("layout", ["model_state", "state_dict", "model", "plain"])
def test_load_foreign_layouts_strip_module_and_skip_shapes(tmp_path, layout):
    src = Net(k=400)
    state = {"module." + k: v for k, v in src.state_dict().items()}
    obj = state if layout == "plain" else {layout: state}
    path = str(tmp_path / "k400.pyth")
    torch.save(obj, path)
    dst = Net(k=3)
    report = C.load_checkpoint(path, dst)
    assert torch.equal(dst.body.weight, src.body.weight)
    assert {s[0] for s in report.skipped} == {"head.weight", "head.bias"}
    assert report.missing == [] and report.unexpected == []
    with pytest.raises(C.CheckpointError, match="does not match"):
        C.load_checkpoint(path, Net(k=3), strict=True)


def test_rename_patterns_adapter_and_model_hook(tmp_path):
    src = Net()
    state = {k.replace("body", "backbone.fc"): v for k, v in src.state_dict().items()}
    state["extra.thing"] = torch.zeros(1)
    path = str(tmp_path / "foreign.pth")
    torch.save({"state_dict": state}, path)
    dst = Net()
    r = C.load_checkpoint(path, dst, replace_patterns=[["backbone.fc", "body"]])
    assert torch.equal(dst.body.weight, src.body.weight) and r.unexpected == ["extra.thing"]

    if "test_drop_extra" not in ADAPTER_REGISTRY:
        ADAPTER_REGISTRY.register("test_drop_extra")(
            lambda sd, model, report: {
                k.replace("backbone.fc", "body"): v for k, v in sd.items() if not k.startswith("extra")
            }
        )
    dst = Net()
    calls = []
    dst.adapt_checkpoint_state = lambda sd, report: calls.append((sorted(sd), report.path)) or sd
    r = C.load_checkpoint(path, dst, checkpoint_type="test_drop_extra")
    assert r.unexpected == [] and torch.equal(dst.body.weight, src.body.weight) and calls[0][1] == path
    with pytest.raises(C.CheckpointError, match="no registered adapter"):
        C.load_checkpoint(path, Net(), checkpoint_type="nope")


def test_unreadable_checkpoint_names_file(tmp_path):
    bad = tmp_path / "broken.pyth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(C.CheckpointError, match="broken.pyth"):
        C.load_checkpoint(str(bad), Net())
    with pytest.raises(C.CheckpointError, match="not found"):
        C.load_checkpoint(str(tmp_path / "missing.pyth"), Net())

"""svit.checkpoint reads TorchScript archives and ``model_state_dict`` layouts; adapters fill the report."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from svit import checkpoint as C
from svit.models.adapters import ADAPTER_REGISTRY


class Tower(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 3)
        self.register_buffer("scale", torch.tensor([2], dtype=torch.int64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x) * self.scale


def test_torchscript_archive_is_read_with_jit(tmp_path):
    torch.manual_seed(0)
    src = Tower().half()
    path = str(tmp_path / "ViT-B-16.pt")
    torch.jit.save(torch.jit.script(src), path)
    assert C._is_torchscript_archive(path)
    state = C.read_checkpoint(path)
    assert set(state) == {"proj.weight", "proj.bias", "scale"}
    assert state["proj.weight"].dtype == torch.float16 and state["scale"].dtype == torch.int64
    assert torch.equal(state["proj.weight"], src.proj.weight)

    dst = Tower()
    report = C.load_checkpoint(path, dst, strict=True)
    assert sorted(report.loaded) == ["proj.bias", "proj.weight", "scale"]
    assert torch.equal(dst.proj.weight, src.proj.weight.float())


def test_plain_torch_zip_is_not_taken_for_torchscript(tmp_path):
    path = str(tmp_path / "plain.pt")
    torch.save({"model_state_dict": Tower().state_dict(), "epoch": 7}, path)
    assert not C._is_torchscript_archive(path)
    report = C.load_checkpoint(path, Tower(), strict=True)
    assert report.epoch == 7 and len(report.loaded) == 3


def test_broken_torchscript_archive_names_file(tmp_path):
    path = tmp_path / "broken_clip.pt"
    torch.jit.save(torch.jit.script(Tower()), str(path))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # an interrupted download
    with pytest.raises(C.CheckpointError, match="broken_clip.pt"):
        C.read_checkpoint(str(path))


def test_adapter_chain_receives_model_and_report(tmp_path):
    seen = []
    name = "test_records_report"
    if name not in ADAPTER_REGISTRY:

        @ADAPTER_REGISTRY.register(name)
        def _adapt(state, model, report):
            seen.append(type(model).__name__)
            report.dropped.append(("junk", "not ours"))
            return {k: v for k, v in state.items() if k != "junk"}

    state = dict(Tower().state_dict(), junk=torch.zeros(1))
    path = str(tmp_path / "w.pth")
    torch.save({"model_state_dict": state}, path)
    report = C.load_checkpoint(path, Tower(), strict=True, checkpoint_type=["slowfast", name])
    assert seen == ["Tower"] and report.dropped == [("junk", "not ours")] and report.unexpected == []

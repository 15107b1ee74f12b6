"""Every unreadable weights file is one line: the path, what was found, what was expected (issue 19).

Before: torch's own text leaked through (``EOFError:`` for an empty file, ``KeyError: 101`` for a
text file given as CLIP weights, and for a pickle holding code the advice to re-run ``torch.load``
with ``weights_only`` set to False -- the unsafe workaround).
"""
from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, read_checkpoint
from svit.models.side4video.towers import infer_tower_from_weights


class Pickled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)


def _empty(p):
    p.write_bytes(b"")
    return "empty file"


def _text(p):
    p.write_text("e.g. a download page saved instead of the weights\n<html>...</html>\n")
    return "text file"


def _truncated_zip(p):
    torch.save({"model_state": {"w": torch.randn(64, 64)}}, str(p))
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return "truncated"


def _global_pickle(p):
    torch.save({"model_state": {"w": torch.zeros(1)}, "hook": print}, str(p))
    return "global 'print'"


def _plain_pickle(p):
    p.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=4))
    return "pickle"


def _clip_pt_not_torchscript(p):
    torch.save(Pickled(), str(p))  # a whole pickled model, e.g. a CLIP model saved with torch.save(model)
    return "Pickled"


CASES = [_empty, _text, _truncated_zip, _global_pickle, _clip_pt_not_torchscript, _plain_pickle]


@pytest.mark.parametrize("make", CASES, ids=[c.__name__.strip("_") for c in CASES])
@pytest.mark.parametrize("reader", ["checkpoint", "clip_weights"])
def test_unreadable_file_is_one_line_naming_path_found_and_expected(tmp_path, make, reader):
    path = tmp_path / "ViT-B-16.pt"
    found = make(path)
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(str(path)) if reader == "checkpoint" else infer_tower_from_weights(str(path))
    msg = str(err.value)
    assert "\n" not in msg
    assert str(path) in msg and found in msg and "expected" in msg
    for leak in ("weights_only", "Weights only load failed", "EOFError", "KeyError", "UnpicklingError"):
        assert leak not in msg, (leak, msg)


def test_legacy_pickle_checkpoint_is_still_read(tmp_path):
    path = str(tmp_path / "legacy.pth")
    torch.save({"state_dict": {"w": torch.ones(2)}}, path, _use_new_zipfile_serialization=False)
    assert torch.equal(read_checkpoint(path)["state_dict"]["w"], torch.ones(2))

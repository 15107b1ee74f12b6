"""tools/speed_vs_original.py pieces that run without the original checkout: the error for a wrong
--original-root, the class scores picked out of the original's outputs, and the fp32 variants."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn as nn

REPO = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("tool_speed_vs_original", REPO / "tools" / "speed_vs_original.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_wrong_original_root_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        _tool().build_original(str(tmp_path), [])


@pytest.mark.parametrize("kind", ["tensor", "tuple", "dict"])
def test_original_outputs_give_the_class_scores(kind):
    scores = torch.randn(2, 5)

    class Orig(nn.Module):
        def forward(self, pathways):
            assert isinstance(pathways, list) and pathways[0].shape == (2, 3, 4)
            boxes = torch.zeros(2, 4, 3, 5)
            return {"tensor": scores, "tuple": (boxes, scores), "dict": {"boxes": boxes, "logits": scores}}[kind]

    got = _tool().OriginalLogits(Orig())(torch.zeros(2, 3, 4))
    assert got is scores


def test_placeholder_imports_fail_loudly_when_used():
    ph = _tool()._Placeholder("imgaug")
    with pytest.raises(RuntimeError, match="imgaug.augmenters is not installed"):
        ph.augmenters()

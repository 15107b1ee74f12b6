"""Equivalence with the original eladb3/SViT: the released-format micro checkpoint loads strictly
and reproduces every reference output (clip and image, both attention back ends)."""
from __future__ import annotations

import pytest
import torch
from mvit_cfgs import micro_cfg

from svit.models import build_model

TOL = 1e-4


def _load(fixtures_dir, impl):
    model = build_model(micro_cfg(extra=["MODEL.ATTN_IMPL", impl])).eval()
    state = torch.load(fixtures_dir / "svit_micro.pyth", map_location="cpu", weights_only=True)
    model.load_state_dict(state["model_state"], strict=True)
    return model


@pytest.mark.parametrize("impl", ["explicit", "sdpa"])
@pytest.mark.parametrize("inp,sfx", [("clip", ""), ("image", "_image")])
def test_micro_fixture_outputs(fixtures_dir, impl, inp, sfx):
    io = torch.load(fixtures_dir / "svit_micro_io.pt", map_location="cpu", weights_only=True)
    model = _load(fixtures_dir, impl)
    assert sum(p.numel() for p in model.parameters()) == 522_513
    with torch.no_grad():
        out = model(io[inp])
    t_in = io[inp].shape[2] if io[inp].ndim == 5 else 1
    b = io[inp].shape[0]
    assert out["logits"].shape == (b, 7)
    assert out["pred_bboxes"].shape == (b, t_in, 4, 5)
    assert out["pred_contact_state"].shape == (b, t_in, 2, 5)
    assert out["obj_desc"].shape == out["obj_desc_pre_dropout"].shape == (b, t_in, 4, 128)
    # Raw logits: the model itself must not softmax.
    assert not torch.allclose(out["logits"].sum(-1), torch.ones(b))
    torch.testing.assert_close(out["logits"].softmax(-1), io["scores" + sfx], atol=TOL, rtol=0)
    boxes = torch.cat((out["pred_bboxes"][..., :1].sigmoid(), out["pred_bboxes"][..., 1:]), -1)
    torch.testing.assert_close(boxes, io["pred_bboxes" + sfx], atol=TOL, rtol=0)
    torch.testing.assert_close(
        out["pred_contact_state"].softmax(-1), io["pred_contact_state" + sfx], atol=TOL, rtol=0
    )
    torch.testing.assert_close(out["obj_desc"], io["obj_desc" + sfx], atol=TOL, rtol=TOL)
    # Eval mode: head dropout is off, so both object-token outputs coincide.
    torch.testing.assert_close(out["obj_desc"], out["obj_desc_pre_dropout"])


def test_image_input_layouts_agree(fixtures_dir):
    io = torch.load(fixtures_dir / "svit_micro_io.pt", map_location="cpu", weights_only=True)
    model = _load(fixtures_dir, "sdpa")
    with torch.no_grad():
        a = model(io["image"])
        b = model(io["image"].unsqueeze(2))
    for k in a:
        torch.testing.assert_close(a[k], b[k])

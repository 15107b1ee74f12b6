"""Frame–clip consistency: the distance, the per-frame no-grad target pass, stop-gradient."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from mvit_cfgs import micro_cfg  # noqa: E402

from svit.losses import build_loss  # noqa: E402
from svit.losses.consistency import consistency_loss, frame_tokens_for_clip  # noqa: E402
from svit.models import build_model  # noqa: E402


def test_distance_values():
    v = torch.tensor([[[[1.0, 2.0]]]])
    f = torch.tensor([[[[0.0, 4.0]]]])
    assert consistency_loss(v, f, "l1").item() == pytest.approx(1.5)
    assert consistency_loss(v, f, "l2").item() == pytest.approx(2.5)
    with pytest.raises(ValueError):
        consistency_loss(v, f, "cos")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(micro_cfg("SViT"))


def test_frame_pass_pairs_each_frame_and_restores_mode(model):
    clip = torch.randn(2, 3, 4, 32, 32)
    model.train()
    tokens = frame_tokens_for_clip(model, clip, mode="eval", features="pre_dropout")
    assert model.training  # restored
    assert tokens.shape == (2, 4, 4, 128) and not tokens.requires_grad
    model.eval()
    with torch.no_grad():
        single = model(clip[1, :, 2][None])["obj_desc_pre_dropout"]  # frame 2 of clip 1 alone
    torch.testing.assert_close(tokens[1, 2], single[0, 0], atol=1e-5, rtol=1e-5)
    frame_tokens_for_clip(model, clip, mode="train")
    assert not model.training  # restored to eval
    model.train()


def test_no_gradient_into_image_pass(model):
    model.train()
    clip = torch.randn(1, 3, 4, 32, 32)
    torch.manual_seed(1)
    out = model(clip)
    target = frame_tokens_for_clip(model, clip, mode="eval")
    loss = build_loss("frame_clip_consistency", micro_cfg("SViT"))(
        out, {"frame_obj_desc": target}
    )["video_image_desc_l1_loss"]
    model.zero_grad()
    loss.backward()
    got = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    # Same loss with a constant target: identical gradients => nothing flowed through the frames.
    torch.manual_seed(1)
    out2 = model(clip)
    model.zero_grad()
    (out2["obj_desc_pre_dropout"] - target.clone()).abs().mean().backward()
    for n, p in model.named_parameters():
        if p.grad is not None:
            torch.testing.assert_close(got[n], p.grad, msg=n)
    assert got["object_queries"].abs().sum() > 0


def test_frame_subset_is_the_same_frames_of_the_whole_pass(model):
    """SVIT.CON_FRAMES: the frame pass on K drawn frames gives exactly those frames' tokens of the whole
    pass, and the loss then compares only those frames' video tokens."""

    model.eval()
    clip = torch.randn(2, 3, 4, 32, 32)
    whole = frame_tokens_for_clip(model, clip, mode="eval")
    index = torch.tensor([1, 3])
    part = frame_tokens_for_clip(model, clip, mode="eval", frames=index)
    assert part.shape == (2, 2, 4, 128)
    torch.testing.assert_close(part, whole[:, index], atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        out = model(clip)
    loss = build_loss("frame_clip_consistency", micro_cfg("SViT"))
    got = loss(out, {"frame_obj_desc": part, "frame_index": index})["video_image_desc_l1_loss"]
    want = consistency_loss(out["obj_desc_pre_dropout"][:, index], whole[:, index], "l1")
    torch.testing.assert_close(got, want)
    assert not torch.allclose(got, loss(out, {"frame_obj_desc": whole})["video_image_desc_l1_loss"])
    model.train()


def test_draw_frames():
    from svit.losses.consistency import draw_frames

    assert draw_frames(8, 0) is None and draw_frames(8, 8) is None and draw_frames(8, 12) is None
    torch.manual_seed(3)
    a = draw_frames(8, 3)
    torch.manual_seed(3)
    assert torch.equal(a, draw_frames(8, 3))  # a seeded run repeats its draws
    assert a.tolist() == sorted(set(a.tolist())) and len(a) == 3 and 0 <= int(a.min()) and int(a.max()) < 8
    seen = set()
    for _ in range(50):
        seen.update(draw_frames(8, 2).tolist())
    assert seen == set(range(8))  # every frame gets drawn
    with pytest.raises(ValueError, match="CON_FRAMES"):
        draw_frames(8, -1)

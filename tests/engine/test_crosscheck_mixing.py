"""mixup_cutmix: soft targets follow the mixing weights exactly, cutmix pastes whole-clip boxes."""
from __future__ import annotations

import pytest
import torch

from svit.config import get_cfg
from svit.engine.hooks import HOOK_REGISTRY


def _mixer(alpha: float, cutmix_alpha: float, prob: float = 1.0, smooth: float = 0.1, k: int = 4):
    cfg = get_cfg()
    cfg.MODEL.NUM_CLASSES = k
    cfg.MIXUP.ALPHA, cfg.MIXUP.CUTMIX_ALPHA = alpha, cutmix_alpha
    cfg.MIXUP.PROB, cfg.MIXUP.LABEL_SMOOTH_VALUE = prob, smooth
    hook = HOOK_REGISTRY.get("mixup_cutmix")(cfg, None)

    def mix(batch):
        out, terms = hook.before_step(batch, None)
        assert terms == {} and torch.equal(out["labels"], batch["labels"])  # hard labels untouched
        return {**out, "labels": out["targets"]}  # the soft targets, under the name the checks use

    return mix


def _batch():
    g = torch.Generator().manual_seed(0)
    return {"inputs": torch.randn(4, 3, 2, 8, 8, generator=g), "labels": torch.tensor([0, 1, 2, 3]),
            "index": torch.arange(4)}


def test_no_mixing_gives_smoothed_one_hot_and_same_inputs():
    b = _batch()
    out = _mixer(0.8, 1.0, prob=0.0, smooth=0.2)(b)
    assert torch.equal(out["inputs"], b["inputs"])
    expected = torch.full((4, 4), 0.05)
    expected[torch.arange(4), b["labels"]] = 0.85
    torch.testing.assert_close(out["labels"], expected)
    assert torch.equal(out["index"], b["index"])  # other keys pass through


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mixup_inputs_and_labels_use_the_same_lambda(seed):
    torch.manual_seed(seed)
    b = _batch()
    out = _mixer(0.8, 0.0, smooth=0.0)(b)
    lam = float(out["labels"][0, 0])  # sample 0 (class 0) is mixed with sample 3 (class 3)
    assert 0.0 < lam < 1.0
    assert float(out["labels"][0, 3]) == pytest.approx(1 - lam, abs=1e-6)
    torch.testing.assert_close(out["inputs"], lam * b["inputs"] + (1 - lam) * b["inputs"].flip(0))
    torch.testing.assert_close(out["labels"].sum(1), torch.ones(4))


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_cutmix_pastes_one_box_in_every_frame_and_lambda_is_the_area_kept(seed):
    torch.manual_seed(seed)
    b = _batch()
    out = _mixer(0.0, 1.0, smooth=0.0)(b)
    x, f, y = b["inputs"], b["inputs"].flip(0), out["inputs"]
    assert ((y == x) | (y == f)).all()
    pasted = (y == f) & (y != x)
    region = pasted[0, 0, 0]
    assert all(torch.equal(pasted[0, c, t], region) for c in range(3) for t in range(2))
    kept = 1.0 - region.float().mean().item()
    assert float(out["labels"][0, 0]) == pytest.approx(kept, abs=1e-6)


def test_same_seed_same_mix():
    torch.manual_seed(7)
    a = _mixer(0.8, 1.0)(_batch())
    torch.manual_seed(7)
    b = _mixer(0.8, 1.0)(_batch())
    assert torch.equal(a["inputs"], b["inputs"]) and torch.equal(a["labels"], b["labels"])

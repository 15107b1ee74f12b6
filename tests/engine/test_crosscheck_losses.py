"""Cross-entropy losses: values against hand-written formulas, soft labels, clear label errors."""
from __future__ import annotations

import torch
import torch.nn.functional as F

import svit.losses  # noqa: F401  (registers the losses)
from svit.config import get_cfg
from svit.losses import build_loss


def _term(out: dict) -> torch.Tensor:
    (value,) = out.values()
    return value


def _cfg(smoothing: float = 0.0):
    cfg = get_cfg()
    cfg.MODEL.LABEL_SMOOTHING = smoothing
    return cfg


def test_cross_entropy_matches_formula_and_smoothing():
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 5), torch.tensor([0, 1, 2, 3, 4, 0])
    out = build_loss("cross_entropy", _cfg())({"logits": logits}, {"labels": labels})
    manual = -F.log_softmax(logits, 1)[torch.arange(6), labels].mean()
    assert len(out) == 1  # one unweighted term
    torch.testing.assert_close(_term(out), manual)
    smooth = _term(build_loss("cross_entropy", _cfg(0.2))({"logits": logits}, {"labels": labels}))
    target = torch.full((6, 5), 0.2 / 5).scatter_(1, labels[:, None], 0.8 + 0.2 / 5)
    torch.testing.assert_close(smooth, (-target * F.log_softmax(logits, 1)).sum(1).mean())


def test_soft_cross_entropy_equals_hard_on_one_hot_and_handles_mixed_targets():
    torch.manual_seed(1)
    logits, labels = torch.randn(4, 3), torch.tensor([2, 0, 1, 1])
    one_hot = F.one_hot(labels, 3).float()
    soft = build_loss("soft_cross_entropy", _cfg())
    hard = build_loss("cross_entropy", _cfg())
    torch.testing.assert_close(_term(soft({"logits": logits}, {"labels": one_hot})),
                               _term(hard({"logits": logits}, {"labels": labels})))
    # The hard-label loss accepts mixed (soft) labels instead of failing.
    mixed = 0.7 * one_hot + 0.3 * one_hot.flip(0)
    expected = (-mixed * F.log_softmax(logits, 1)).sum(1).mean()
    torch.testing.assert_close(_term(hard({"logits": logits}, {"labels": mixed})), expected)
    torch.testing.assert_close(_term(soft({"logits": logits}, {"labels": mixed})), expected)
    # Hard labels given to the soft loss are one-hot targets.
    torch.testing.assert_close(_term(soft({"logits": logits}, {"labels": labels})),
                               _term(hard({"logits": logits}, {"labels": labels})))

"""One SV-Mix step's tensors from the clean features: two mixes, their targets and the mask loss.

* online mix (trains the classifier θ): mask from the selector under ``no_grad`` (the original ran the
  module a second time and detached the output; github.com/ty-97/Seletive-Volume-Mix) with ratio λ
  and permutation π; when λ ≤ t or 1 − λ ≤ t (t = 0.08) the mask is the constant λ / 1 − λ, i.e.
  plain mixup, and the selector is not run at all. Label weight: the per-sample saliency ratio λ_sal
  (svit.svmix.labels).
* offline mix (trains the selector φ through the frozen EMA classifier): mask with gradient, ratio
  λ_ofl and permutation π_ofl; label weight: the sampled λ_ofl; plus the mask-area regulariser.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from svit.svmix.features import ClipFeatures
from svit.svmix.labels import mix_targets, saliency_lambda
from svit.svmix.losses import mask_area_loss
from svit.svmix.masks import constant_source_weights, mix_clips, pixel_source_weights
from svit.svmix.sampling import SVMixDraw
from svit.svmix.selector import SelectiveModule


@dataclass
class SVMixParams:
    """Fixed numbers of the method (SVMIX.* config keys)."""

    num_classes: int
    smoothing: float = 0.1
    extreme_lambda: float = 0.08
    mask_margin: float = 0.1
    mask_weight: float = 0.1


@dataclass
class SVMixBatch:
    """Mixed clips ``(B, C, T, H, W)``, soft targets ``(B, K)``, pixel source weights ``(B, T, H, W)``."""

    x_online: Tensor
    x_offline: Tensor
    target_online: Tensor
    target_offline: Tensor
    lam_sal: Tensor
    mask_loss: Tensor
    source_online: Tensor
    source_offline: Tensor
    extreme: bool


def is_extreme(lam: float, threshold: float) -> bool:
    """The original's test ``λ ≤ t or 1 − λ ≤ t``: such a λ mixes with a constant mask."""
    return lam <= threshold or (1.0 - lam) <= threshold


def svmix_batch(
    selector: SelectiveModule,
    feats: ClipFeatures,
    x: Tensor,
    labels: Tensor,
    draw: SVMixDraw,
    params: SVMixParams,
) -> SVMixBatch:
    """Builds both mixes of clips ``x`` ``(B, C, T, H, W)`` with hard ``labels`` ``(B,)``."""
    b, _, t, h, w = x.shape
    perm, perm_ofl = draw.perm.to(x.device), draw.perm_ofl.to(x.device)
    spatial = feats.spatial.detach()
    temporal = None if feats.temporal is None else feats.temporal.detach()
    extreme = is_extreme(draw.lam, params.extreme_lambda)
    if extreme:
        src_on = constant_source_weights(draw.lam, (b, t, h, w), x.device)
    else:
        with torch.no_grad():
            src_on = pixel_source_weights(selector(spatial, draw.lam, perm, draw.mode, temporal), t, (h, w))
    src_off = pixel_source_weights(selector(spatial, draw.lam_ofl, perm_ofl, draw.mode, temporal), t, (h, w))
    lam_sal = saliency_lambda(spatial, 1.0 - src_on, perm)
    return SVMixBatch(
        x_online=mix_clips(x, src_on, perm),
        x_offline=mix_clips(x, src_off, perm_ofl),
        target_online=mix_targets(labels, params.num_classes, params.smoothing, lam_sal, perm),
        target_offline=mix_targets(labels, params.num_classes, params.smoothing, draw.lam_ofl, perm_ofl),
        lam_sal=lam_sal,
        mask_loss=mask_area_loss(src_off, draw.lam_ofl, params.mask_margin, params.mask_weight),
        source_online=src_on,
        source_offline=src_off,
        extreme=extreme,
    )

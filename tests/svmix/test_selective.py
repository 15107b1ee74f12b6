"""SV-Mix selective module, masks, labels and mask loss: original fixtures and a slow reference.

The slow reference below is written from the spec's formulas (shared/spec/svmix.md §2.3-2.6) with
explicit loops over samples, time steps and pixels, independent of the vectorised code.
"""
from __future__ import annotations

import math

import pytest
import torch

from svit.svmix.features import ClipFeatures
from svit.svmix.labels import saliency_lambda
from svit.svmix.masks import pixel_source_weights
from svit.svmix.mix import SVMixParams, svmix_batch
from svit.svmix.sampling import SVMixDraw
from svit.svmix.selector import SelectiveModule
from tests.fixture_weights import fixture_state_dict

TOL = 1e-4


# ----------------------------------------------------------------------------------- slow reference
def ref_logits(sel: SelectiveModule, feat: torch.Tensor, lam: float, perm: list[int], mode: str, tokens=None):
    """z per (b, τ, h, w) from the formulas, one token pair at a time."""
    wq, bq = sel.query.weight.double(), sel.query.bias.double()
    wv, bv = sel.value.weight.double()[0], sel.value.bias.double()[0]
    f = feat.double()
    b, c, t, h, w = f.shape
    e = lam - 0.5
    d = wq.shape[0]
    z = torch.zeros(b, t, h, w, dtype=torch.float64)
    for i in range(b):
        j_src = perm[i]
        if mode == "spatial":
            for tau in range(t):
                cells = [(y, x) for y in range(h) for x in range(w)]
                keys = [wq @ torch.cat([f[j_src, :, tau, y, x], torch.tensor([-e], dtype=torch.float64)]) + bq
                        for (y, x) in cells]
                vals = [wv @ torch.cat([f[j_src, :, tau, y, x], torch.tensor([-e], dtype=torch.float64)]) + bv
                        for (y, x) in cells]
                for (y, x) in cells:
                    q = wq @ torch.cat([f[i, :, tau, y, x], torch.tensor([e], dtype=torch.float64)]) + bq
                    scores = torch.stack([q @ k / math.sqrt(d) for k in keys])
                    att = torch.softmax(scores, 0)
                    z[i, tau, y, x] = sum(att[n] * vals[n] for n in range(len(cells)))
        else:
            def tok(sample, tau):
                if tokens is not None:
                    return tokens[sample, :, tau].double()
                return f[sample, :, tau].mean(dim=(1, 2))

            keys = [wq @ torch.cat([tok(j_src, s), torch.tensor([-e], dtype=torch.float64)]) + bq for s in range(t)]
            vals = [wv @ torch.cat([tok(j_src, s), torch.tensor([-e], dtype=torch.float64)]) + bv for s in range(t)]
            for tau in range(t):
                q = wq @ torch.cat([tok(i, tau), torch.tensor([e], dtype=torch.float64)]) + bq
                att = torch.softmax(torch.stack([q @ k / math.sqrt(d) for k in keys]), 0)
                z[i, tau] = sum(att[n] * vals[n] for n in range(t))
    return z


def ref_source_weight(z: torch.Tensor, frames: int, height: int, width: int) -> torch.Tensor:
    """Pixel (t, y, x) takes the logit of cell (t // s_t, y // s_h, x // s_w); then the sigmoid."""
    b, t_f, h_f, w_f = z.shape
    s_t, s_h, s_w = frames // t_f, height // h_f, width // w_f
    out = torch.zeros(b, frames, height, width, dtype=torch.float64)
    for t in range(frames):
        for y in range(height):
            for x in range(width):
                out[:, t, y, x] = torch.sigmoid(z[:, t // s_t, y // s_h, x // s_w])
    return out


def ref_saliency_lambda(feat, tgt, perm):
    b, c, t_f, h_f, w_f = feat.shape
    frames, height, width = tgt.shape[1:]
    s_t, s_h, s_w = frames // t_f, height // h_f, width // w_f
    lam = torch.zeros(b, dtype=torch.float64)
    sal = [torch.softmax(feat[i].double().mean(0).flatten(), 0).reshape(t_f, h_f, w_f) for i in range(b)]
    for i in range(b):
        keep = src = 0.0
        for t in range(frames):
            for y in range(h_f):
                for x in range(w_f):
                    mbar = tgt[i, t, y * s_h:(y + 1) * s_h, x * s_w:(x + 1) * s_w].double().mean()
                    keep += sal[i][t // s_t, y, x] * mbar
                    src += sal[perm[i]][t // s_t, y, x] * (1 - mbar)
        lam[i] = keep / (keep + src)
    return lam


def smoothed(labels, k, eps):
    y = torch.full((len(labels), k), eps / k, dtype=torch.float64)
    for i, c in enumerate(labels.tolist()):
        y[i, c] = 1 - eps + eps / k
    return y


# ----------------------------------------------------------------------------------- fixtures
@pytest.mark.parametrize("mode", ["spatial", "temporal"])
@pytest.mark.parametrize("impl", ["sdpa", "explicit"])
def test_selective_fixture(fixtures_dir, mode, impl):
    d = torch.load(fixtures_dir / "svmix" / f"svmix_selective_uniformer_{mode}.pt", weights_only=True)
    sel = SelectiveModule(512, 512, attn_impl=impl)
    sel.load_state_dict(fixture_state_dict(d["keys"]))
    draw = SVMixDraw(True, mode, float(d["lam"]), float(d["lam_ofl"]), d["perm"], d["perm_ofl"])
    out = svmix_batch(sel, ClipFeatures(d["feature_map"]), d["input"], d["target"], draw, SVMixParams(11, 0.1))
    assert not out.extreme
    b, t, h, w = out.source_online.shape
    as_orig = lambda src: torch.stack([1 - src, src], 2).reshape(b * t, 2, h, w)  # noqa: E731
    pairs = {
        "mask_ol": as_orig(out.source_online), "mask_ofl": as_orig(out.source_offline),
        "x_ol": out.x_online, "x_ofl": out.x_offline, "lam_sal": out.lam_sal,
        "target_ol": out.target_online, "target_ofl": out.target_offline, "mask_loss": out.mask_loss,
    }
    for name, ours in pairs.items():
        ref = d[name]
        assert ours.shape == ref.shape, name
        err = (ours.detach().float() - ref.float()).abs().max().item()
        assert err <= TOL, f"{name}: max abs diff {err}"
    # The offline mask keeps its graph to the selector; the online one does not.
    assert out.source_offline.requires_grad and not out.source_online.requires_grad


# ----------------------------------------------------------------------------------- slow reference
CASES = [
    # (B, C, d, T, T_f, H, W, H_f, W_f, lam, lam_ofl, mode, perm, perm_ofl, use_tokens)
    (4, 12, 6, 8, 4, 24, 32, 3, 4, 0.23, 0.81, "spatial", [3, 2, 0, 1], [1, 0, 3, 2], False),
    (2, 10, 10, 4, 4, 16, 16, 2, 2, 0.67, 0.12, "spatial", [1, 0], [0, 1], False),
    (5, 8, 4, 6, 2, 12, 12, 3, 3, 0.5, 0.44, "temporal", [4, 0, 1, 2, 3], [2, 3, 4, 0, 1], False),
    (3, 8, 8, 16, 8, 16, 16, 1, 1, 0.3, 0.9, "temporal", [2, 0, 1], [1, 2, 0], False),
    (3, 6, 6, 8, 4, 16, 16, 2, 2, 0.71, 0.35, "temporal", [1, 2, 0], [2, 0, 1], True),
]


@pytest.mark.parametrize("case", CASES)
def test_against_slow_reference(case):
    b, c, d, t, t_f, h, w, h_f, w_f, lam, lam_ofl, mode, perm, perm_ofl, use_tokens = case
    g = torch.Generator().manual_seed(sum(case[:9]))
    sel = SelectiveModule(c, d)
    with torch.no_grad():
        for p in sel.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    feat = torch.randn(b, c, t_f, h_f, w_f, generator=g) + 2 * torch.randn(b, 1, t_f, h_f, w_f, generator=g)
    tokens = torch.randn(b, c, t_f, generator=g) if use_tokens else None
    x = torch.randn(b, 3, t, h, w, generator=g)
    labels = torch.randint(0, 7, (b,), generator=g)
    draw = SVMixDraw(True, mode, lam, lam_ofl, torch.tensor(perm), torch.tensor(perm_ofl))
    params = SVMixParams(7, 0.2, mask_margin=0.05, mask_weight=0.3)
    out = svmix_batch(sel, ClipFeatures(feat, tokens), x, labels, draw, params)

    src_on = ref_source_weight(ref_logits(sel, feat, lam, perm, mode, tokens), t, h, w)
    src_off = ref_source_weight(ref_logits(sel, feat, lam_ofl, perm_ofl, mode, tokens), t, h, w)
    assert (out.source_online.double() - src_on).abs().max() <= TOL
    assert (out.source_offline.detach().double() - src_off).abs().max() <= TOL
    x_on = torch.zeros(b, 3, t, h, w, dtype=torch.float64)
    for i in range(b):
        x_on[i] = (1 - src_on[i]).unsqueeze(0) * x[i].double() + src_on[i].unsqueeze(0) * x[perm[i]].double()
    assert (out.x_online.double() - x_on).abs().max() <= TOL
    lam_sal = ref_saliency_lambda(feat, 1 - src_on, perm)
    assert (out.lam_sal.double() - lam_sal).abs().max() <= TOL
    y = smoothed(labels, 7, 0.2)
    y_on = lam_sal[:, None] * y + (1 - lam_sal[:, None]) * y[perm]
    y_off = lam_ofl * y + (1 - lam_ofl) * y[perm_ofl]
    assert (out.target_online.double() - y_on).abs().max() <= TOL
    assert (out.target_offline.double() - y_off).abs().max() <= TOL
    loss = 0.3 * max(0.0, abs(1 - src_off.mean().item() - lam_ofl) - 0.05)
    assert abs(out.mask_loss.item() - loss) <= TOL


# ----------------------------------------------------------------------------------- properties
@pytest.mark.parametrize("lam", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("mode", ["spatial", "temporal"])
def test_initial_prior_ties_area_to_lambda(lam, mode):
    """With F = 0 and the constructor's init, every logit is 4·(−e) = 2 − 4λ."""
    sel = SelectiveModule(16, 8)
    z = sel(torch.zeros(2, 16, 2, 3, 3), lam, torch.tensor([1, 0]), mode)
    src = pixel_source_weights(z, 4, (6, 6))
    assert torch.allclose(src, torch.full_like(src, torch.sigmoid(torch.tensor(2 - 4 * lam)).item()), atol=1e-6)


def test_spatial_attention_stays_within_time_step():
    torch.manual_seed(0)
    sel = SelectiveModule(8, 8)
    feat = torch.randn(2, 8, 3, 2, 2)
    perm = torch.tensor([1, 0])
    z = sel(feat, 0.4, perm, "spatial")
    feat2 = feat.clone()
    feat2[1, :, 1] += torch.randn(8, 2, 2)  # sample 1 is the source of sample 0
    z2 = sel(feat2, 0.4, perm, "spatial")
    assert torch.equal(z[0, 0], z2[0, 0]) and torch.equal(z[0, 2], z2[0, 2])
    assert not torch.allclose(z[0, 1], z2[0, 1])


def test_mask_and_saliency_frame_order_agree():
    """Frames 2τ and 2τ+1 share step τ (repeat-interleave) in the mask and in the saliency."""
    z = torch.arange(3.0).reshape(1, 3, 1, 1)
    src = pixel_source_weights(z, 6, (4, 4))
    assert torch.allclose(src[0, :, 0, 0], torch.sigmoid(torch.tensor([0.0, 0, 1, 1, 2, 2])))
    feat = torch.zeros(2, 4, 3, 1, 1)
    feat[0, :, 0] = 5.0  # sample 0's saliency sits on step 0 = frames 0, 1
    tgt = torch.zeros(2, 6, 4, 4)
    tgt[:, :2] = 1.0  # keep the target only in frames 0, 1
    lam = saliency_lambda(feat, tgt, torch.tensor([1, 0]))
    # sample 0 keeps almost all its saliency; the source (sample 1, flat) fills 4 of 6 frames.
    s0 = torch.softmax(torch.tensor([5.0, 0, 0]), 0)[0].item()
    assert abs(lam[0].item() - s0 / (s0 + 2 / 3)) < 1e-6


@pytest.mark.parametrize("lam", [0.05, 0.3, 0.95])
def test_constant_mask_gives_lambda(lam):
    torch.manual_seed(1)
    feat = torch.randn(4, 8, 2, 2, 2)
    tgt = torch.full((4, 4, 8, 8), lam)
    assert torch.allclose(saliency_lambda(feat, tgt, torch.tensor([2, 3, 1, 0])), torch.full((4,), lam), atol=1e-6)


def test_bad_inputs_are_named():
    sel = SelectiveModule(8, 4)
    with pytest.raises(ValueError, match="C=8"):
        sel(torch.zeros(2, 6, 2, 2, 2), 0.5, torch.tensor([1, 0]), "spatial")
    with pytest.raises(ValueError, match="mode"):
        sel(torch.zeros(2, 8, 2, 2, 2), 0.5, torch.tensor([1, 0]), "diagonal")
    with pytest.raises(ValueError, match="whole multiple"):
        pixel_source_weights(torch.zeros(1, 3, 2, 2), 8, (8, 8))

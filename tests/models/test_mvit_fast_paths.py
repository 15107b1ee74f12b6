"""The fast formulations compute the same function as the reference ones:

* relative-position bias folded into the queries/keys (``sdpa``) and added inside FlexAttention
  (``flex``) against the materialised bias (``explicit``, ``sdpa_mask``): outputs and gradients;
* whole MViT/SViT models with the pooling convs on ``svit::depthwise_conv3d`` ("fast") against
  ``nn.Conv3d`` ("plain"); the operator itself is tested in test_depthwise_conv3d.py.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from mvit_cfgs import micro_cfg

from svit.models import build_model
from svit.models.layers.depthwise import set_depthwise_conv_impl
from svit.models.mvit.rel_pos import decomposed_rel_pos_bias, key_position_codes, rel_pos_qk_augment

# three blocks (one q-pooling stage change) keep these float64 comparisons fast
SMALL = ["MVIT.DEPTH", 3, "MVIT.DIM_MUL", [[1, 2.0]], "MVIT.HEAD_MUL", [[1, 2.0]],
         "MVIT.POOL_Q_STRIDE", [[0, 1, 1, 1], [1, 1, 2, 2], [2, 1, 1, 1]]]


def _perturbed(cfg, dtype=torch.float32):
    torch.manual_seed(0)
    model = build_model(cfg).to(dtype)
    with torch.no_grad():
        for p in model.parameters():  # non-trivial weights, incl. the rel-pos tables
            p.add_(0.05 * torch.randn_like(p))
    return model


def _run(model, x, impl, pool="plain", train=True):
    model.set_attn_impl(impl)
    set_depthwise_conv_impl(model, pool)
    model.train(train)
    model.zero_grad(set_to_none=True)
    torch.manual_seed(1)  # same drop-path draws in every run
    out = model(x)
    out = out if isinstance(out, dict) else {"logits": out}
    loss = sum((v.double() * torch.linspace(-1, 1, v.numel(), dtype=torch.float64).view(v.shape)).sum()
               for v in out.values() if torch.is_tensor(v) and v.is_floating_point())
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    return {k: v.detach() for k, v in out.items() if torch.is_tensor(v)}, grads


def _assert_same(a, b, atol, rtol, grad_atol=None):
    assert a[0].keys() == b[0].keys() and a[1].keys() == b[1].keys()
    for k in a[0]:
        torch.testing.assert_close(a[0][k], b[0][k], atol=atol, rtol=rtol, msg=lambda m, k=k: f"output {k}: {m}")
    top = max(float(g.abs().max()) for g in a[1].values())
    for k in a[1]:
        # relative to the tensor's own size; gradients that are zero in exact arithmetic (e.g. norm_k's
        # bias: softmax ignores a shift common to all keys) are rounding noise, bounded by the largest
        scale = max(float(a[1][k].abs().max()), 1e-4 * top)
        torch.testing.assert_close(a[1][k] / scale, b[1][k] / scale, atol=grad_atol or atol, rtol=0,
                                   msg=lambda m, k=k: f"{k}: {m}")


@pytest.mark.parametrize("model_name,cls_on", [("SViT", True), ("MViT", False)])
def test_fused_rel_pos_sdpa_and_fast_pool_equal_explicit_float64(model_name, cls_on):
    cfg = micro_cfg(model_name, SMALL + ["MVIT.CLS_EMBED_ON", cls_on])
    model = _perturbed(cfg, torch.float64)
    x = torch.randn(2, 3, 4, 32, 32, dtype=torch.float64)
    ref = _run(model, x, "explicit", "plain")
    for impl, pool in (("sdpa", "plain"), ("sdpa", "fast"), ("explicit", "fast"), ("sdpa_mask", "fast")):
        _assert_same(ref, _run(model, x, impl, pool), atol=1e-10, rtol=1e-10)


def test_default_path_equals_todays_float32_to_1e5():
    """fp32: the new default (fused rel-pos SDPA + fast pooling) against today's (SDPA with the float
    mask + nn.Conv3d) and the explicit reference: outputs to 1e-5, gradients to 1e-4 of their size."""
    model = _perturbed(micro_cfg("SViT", SMALL))
    x = torch.randn(2, 3, 4, 32, 32)
    new = _run(model, x, "sdpa", "auto")
    for impl in ("sdpa_mask", "explicit"):
        _assert_same(_run(model, x, impl, "plain"), new, atol=1e-5, rtol=1e-5, grad_atol=1e-3)


@pytest.mark.parametrize("cls_on", [True, False])
def test_flex_score_mod_equals_explicit(cls_on):
    """FlexAttention's score_mod adds the same bias (eager reference kernel; inference, as CPU has no
    flex backward)."""
    pytest.importorskip("torch.nn.attention.flex_attention")
    model = _perturbed(micro_cfg("SViT", SMALL + ["MVIT.CLS_EMBED_ON", cls_on]), torch.float64).eval()
    x = torch.randn(2, 3, 4, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        model.set_attn_impl("explicit")
        ref = model(x)
        model.set_attn_impl("flex")
        got = model(x)
    for k in ref:
        torch.testing.assert_close(got[k], ref[k], atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("start,extra,temporal", [(1, 3, True), (0, 0, True), (1, 0, False), (0, 2, False)])
def test_augmented_qk_product_is_scaled_logits_plus_bias(start, extra, temporal):
    torch.manual_seed(0)
    b, h, c = 2, 3, 6
    q_thw, k_thw = [2, 4, 4], [2, 2, 2]
    n_q = start + 32 + extra
    n_k = start + 8 + extra
    q, k = torch.randn(b, h, n_q, c, dtype=torch.float64), torch.randn(b, h, n_k, c, dtype=torch.float64)
    rh, rw = torch.randn(7, c, dtype=torch.float64), torch.randn(7, c, dtype=torch.float64)
    rt = torch.randn(3, c, dtype=torch.float64) if temporal else None
    scale = c**-0.5
    qa, ka = rel_pos_qk_augment(q, k, q_thw, k_thw, start, scale, rh, rw, rt, multiple=8)
    assert qa.shape[-1] % 8 == 0 and qa.shape[-1] == ka.shape[-1] >= c + 4 + 4 + (2 if temporal else 0)
    bias = decomposed_rel_pos_bias(q[:, :, start : start + 32], q_thw, k_thw, rh, rw, rt)
    bias = F.pad(bias, (start, n_k - start - 8, start, n_q - start - 32))
    torch.testing.assert_close(qa @ ka.transpose(-2, -1), scale * q @ k.transpose(-2, -1) + bias)


def test_key_position_codes_one_hot():
    codes = key_position_codes([2, 3, 4], ["t", "h", "w"], 1 + 24 + 2, 1, "cpu", torch.float32)
    assert codes.shape == (27, 9)
    assert codes[0].sum() == 0 and codes[-2:].sum() == 0  # CLS and extra tokens: no position
    assert (codes[1:25].sum(1) == 3).all()
    p = 1 + 1 * 12 + 2 * 4 + 3  # key (t=1, h=2, w=3)
    assert codes[p].nonzero().flatten().tolist() == [1, 2 + 2, 2 + 3 + 3]


def test_unknown_impls_rejected():
    model = build_model(micro_cfg("MViT", SMALL))
    with pytest.raises(ValueError, match="attention implementation"):
        model.set_attn_impl("fast")
    with pytest.raises(ValueError, match="DEPTHWISE_CONV_IMPL"):
        set_depthwise_conv_impl(model, "cudnn")
    # every attention of the three blocks has a q, k and v pooling conv
    assert set_depthwise_conv_impl(model, "fast") == 9


def _einsum_rel_pos_terms(q_patch, q_thw, k_thw, rel_pos_h, rel_pos_w, rel_pos_t):
    """Reference: ``{"t": (B, heads, Nq, kt), "h": .., "w": ..}`` by one einsum per table (the form of
    the original code's decomposed bias), ``entry[.., q, m] = q·R[δ(q's coordinate, m)]``."""
    from svit.models.mvit.rel_pos import rel_pos_index, resample_rel_pos

    b, n_h, _, c = q_patch.shape
    (qt, qh, qw), (kt, kh, kw) = q_thw, k_thw
    r_q = q_patch.reshape(b, n_h, qt, qh, qw, c)
    terms = {}
    if rel_pos_t is not None:
        r_t = resample_rel_pos(rel_pos_t, 2 * max(qt, kt) - 1)[rel_pos_index(qt, kt)]
        terms["t"] = torch.einsum("bythwc,tkc->bythwk", r_q, r_t)
    if rel_pos_h is not None:
        r_h = resample_rel_pos(rel_pos_h, 2 * max(qh, kh) - 1)[rel_pos_index(qh, kh)]
        r_w = resample_rel_pos(rel_pos_w, 2 * max(qw, kw) - 1)[rel_pos_index(qw, kw)]
        terms["h"] = torch.einsum("bythwc,hkc->bythwk", r_q, r_h)
        terms["w"] = torch.einsum("bythwc,wkc->bythwk", r_q, r_w)
    return {k: v.reshape(b, n_h, qt * qh * qw, -1) for k, v in terms.items()}


@pytest.mark.parametrize("q_thw,k_thw,temporal,spatial", [([2, 4, 4], [2, 2, 2], True, True),
                                                          ([4, 8, 8], [4, 2, 2], True, True),
                                                          ([3, 6, 6], [3, 6, 6], False, True),
                                                          ([4, 5, 5], [2, 5, 5], True, False)])
def test_gathered_terms_equal_the_einsum_terms_with_gradients(q_thw, k_thw, temporal, spatial):
    """One product with the stacked tables + a gather == the three einsums, values and gradients."""
    from svit.models.mvit.rel_pos import gathered_rel_pos_terms

    torch.manual_seed(0)
    c = 6
    q = torch.randn(2, 3, q_thw[0] * q_thw[1] * q_thw[2], c, dtype=torch.float64, requires_grad=True)
    length = 2 * max(q_thw[1], k_thw[1]) - 1 + 2  # a table of another length: resampled on both paths
    tabs = {"h": torch.randn(length, c, dtype=torch.float64, requires_grad=True) if spatial else None,
            "w": torch.randn(length, c, dtype=torch.float64, requires_grad=True) if spatial else None,
            "t": torch.randn(2 * max(q_thw[0], k_thw[0]) - 1, c, dtype=torch.float64, requires_grad=True)
            if temporal else None}
    ref = _einsum_rel_pos_terms(q, q_thw, k_thw, tabs["h"], tabs["w"], tabs["t"])
    got, parts = gathered_rel_pos_terms(q, q_thw, k_thw, tabs["h"], tabs["w"], tabs["t"])
    assert parts == list(ref)
    want = torch.cat([ref[p] for p in parts], dim=-1)
    torch.testing.assert_close(got, want, atol=1e-12, rtol=1e-12)
    weight = torch.randn(got.shape, dtype=torch.float64)
    leaves = [q] + [t for t in tabs.values() if t is not None]
    g_ref = torch.autograd.grad((want * weight).sum(), leaves)
    g_got = torch.autograd.grad((got * weight).sum(), leaves)
    for a, b in zip(g_ref, g_got):
        torch.testing.assert_close(b, a, atol=1e-12, rtol=1e-12)


def test_constants_first_built_in_inference_mode_serve_training():
    """The cached index/tap/mask tensors may first be built by an inference-mode forward (predict,
    test); a later training step must still be able to save them for backward."""
    model = build_model(micro_cfg("SViT", SMALL))
    x = torch.randn(2, 3, 4, 32, 32)
    model.eval()
    with torch.inference_mode():
        model(x)
    model.train()
    out = model(x)
    out = out if isinstance(out, dict) else {"logits": out}
    out["logits"].sum().backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if "pool_q" in n)

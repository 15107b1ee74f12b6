"""The fvcore op handles of ``svit.utils.flops``: tiny modules whose multiply-adds are counted by
hand (fvcore's convention: one multiply-add = one flop; elementwise ops, pooling and data movement
count zero), and the report of ops that no handle covers."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from svit.utils.flops import flop_count, gflops


class Fn(nn.Module):
    """Wraps a function of the input so that fvcore can trace it."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def _count(fn, x: torch.Tensor):
    return flop_count(Fn(fn), x)


def test_matmul_broadcasts_the_batch_of_both_operands() -> None:
    b = torch.zeros(5, 2, 4, 6)
    r = _count(lambda a: a @ b, torch.zeros(1, 2, 3, 4))
    # batch broadcast (5, 2), n=3, k=4, m=6; fvcore's own handle gives 1*2*3*4*6 = 144
    assert r.total == 5 * 2 * 3 * 4 * 6 == 720
    assert r.by_operator == {"matmul": 720}
    assert _count(lambda a: b @ a, torch.zeros(2, 6, 7)).total == 5 * 2 * 4 * 6 * 7  # (5, 2, 4, 6) @ (2, 6, 7)


def test_matmul_with_vectors() -> None:
    m = torch.zeros(4, 6)
    assert _count(lambda v: v @ m, torch.zeros(4)).total == 4 * 6
    assert _count(lambda v: m.t() @ v, torch.zeros(4)).total == 6 * 4
    assert _count(lambda v: torch.matmul(torch.zeros(2, 3, 4), v), torch.zeros(4)).total == 2 * 3 * 4


def test_mv_counts_one_multiply_add_per_matrix_element() -> None:
    m = torch.zeros(7, 5)
    r = _count(lambda v: torch.mv(m, v), torch.zeros(5))
    assert r.total == 7 * 5 and r.by_operator == {"mv": 35} and r.uncounted == {}


def test_baddbmm_counts_the_product_not_the_add() -> None:
    a, b = torch.zeros(2, 3, 4), torch.zeros(2, 4, 5)
    r = _count(lambda c: torch.baddbmm(c, a, b, alpha=0.5), torch.zeros(2, 3, 5))
    assert r.total == 2 * 3 * 4 * 5 and r.uncounted == {}


def test_resampling_counts_inputs_read_per_output() -> None:
    x3 = torch.zeros(1, 2, 2, 3, 3)
    out3 = 1 * 2 * 4 * 6 * 6
    assert _count(lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), x3).total == out3
    assert _count(lambda x: F.interpolate(x, scale_factor=2, mode="trilinear"), x3).total == 8 * out3
    assert _count(lambda x: F.interpolate(x, size=10, mode="linear"), torch.zeros(1, 2, 5)).total == 2 * 20
    assert _count(lambda x: F.interpolate(x, size=7, mode="nearest"), torch.zeros(1, 2, 5)).total == 14
    assert _count(lambda x: F.interpolate(x, size=(4, 4), mode="bicubic"), torch.zeros(1, 1, 2, 2)).total == 16 * 16
    # fvcore's own 2-D rules stay: bilinear reads 4 inputs per output
    assert _count(lambda x: F.interpolate(x, size=(4, 6), mode="bilinear"), torch.zeros(1, 3, 2, 3)).total == 4 * 72


def test_adaptive_average_pooling_adds_each_input_once() -> None:
    assert _count(lambda x: F.adaptive_avg_pool3d(x, 1), torch.zeros(1, 2, 4, 4, 4)).total == 128
    assert _count(lambda x: F.adaptive_avg_pool1d(x, 2), torch.zeros(1, 3, 8)).total == 24


def test_fused_attention_counts_both_products() -> None:
    k, v = torch.zeros(2, 3, 7, 4), torch.zeros(2, 3, 7, 6)
    mask = torch.zeros(5, 7)
    r = _count(lambda q: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), torch.zeros(2, 3, 5, 4))
    # q kᵀ: 2*3*5*7*4, attn v: 2*3*5*7*6; the scale, mask add and softmax are not counted
    assert r.total == 2 * 3 * 5 * 7 * (4 + 6)
    explicit = _count(lambda q: ((q @ k.transpose(-2, -1)) + mask).softmax(-1) @ v, torch.zeros(2, 3, 5, 4))
    assert explicit.total == r.total


def test_einsum_equations() -> None:
    k = torch.zeros(2, 3, 7, 4)
    assert _count(lambda q: torch.einsum("bhqd,bhkd->bhqk", q, k), torch.zeros(2, 3, 5, 4)).total == 2 * 3 * 5 * 7 * 4
    w = torch.zeros(6, 4, 5)
    assert _count(lambda x: torch.einsum("ntc,tcd->ntd", x, w), torch.zeros(3, 6, 4)).total == 3 * 6 * 4 * 5


def test_elementwise_pooling_and_data_movement_count_zero_and_are_not_reported() -> None:
    def fn(x: torch.Tensor) -> torch.Tensor:
        y = torch.roll(F.gelu(x) * 2 + x, shifts=1, dims=2)
        y = F.max_pool3d(F.pad(y, (1, 1, 1, 1)), 2).sigmoid()
        return y.softmax(-1).mean(dim=(2, 3, 4))

    r = _count(fn, torch.zeros(1, 2, 4, 4, 4))
    assert r.total == 0 and r.uncounted == {}


class LinearCumprod(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 3, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumprod(self.lin(x), dim=-1)


def test_ops_without_a_handle_are_reported() -> None:
    r = flop_count(LinearCumprod(), torch.zeros(2, 4))
    assert r.total == 2 * 4 * 3
    assert r.uncounted == {"aten::cumprod": 1}


def test_gflops_is_the_total_in_units_of_1e9() -> None:
    conv = nn.Conv3d(2, 3, (1, 3, 3), padding=(0, 1, 1), bias=False)
    assert gflops(conv, torch.zeros(1, 2, 2, 4, 4)) * 1e9 == 3 * 2 * 9 * 2 * 4 * 4


def test_swin_window_attention_fused_and_explicit_count_the_same_by_hand() -> None:
    from svit.models.swin.attention import WindowAttention3D

    bw, n, c, heads, nw = 4, 8, 12, 3, 2  # 4 windows of 2x2x2 tokens, 2 shift-mask windows
    x = torch.zeros(bw, n, c)
    mask = torch.zeros(nw, n, n)

    class Masked(nn.Module):
        def __init__(self, impl: str) -> None:
            super().__init__()
            self.attn = WindowAttention3D(c, (2, 2, 2), heads, attn_impl=impl)
            self.register_buffer("mask", mask)

        def forward(self, t: torch.Tensor) -> torch.Tensor:
            return self.attn(t, self.mask)

    counts = [flop_count(Masked(impl), x) for impl in ("sdpa", "explicit")]
    hand = bw * n * c * 3 * c + bw * n * c * c + 2 * bw * n * n * c  # qkv, proj, q kᵀ and attn v
    assert [r.total for r in counts] == [hand, hand]
    assert all(r.uncounted == {} for r in counts)

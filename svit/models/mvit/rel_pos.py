"""Decomposed relative position terms of MViTv2 (spatial h/w and temporal t), as an additive bias.

For a pooled query at grid position (t, i, j) and a key at (t', i', j') the logit gets
``q·R_h[δ(i,i')] + q·R_w[δ(j,j')] + q·R_t[δ(t,t')]`` on the patch×patch block only (CLS and extra
tokens get none). ``decomposed_rel_pos_bias`` returns the full bias as a tensor, which the explicit
path adds to the logits and the ``sdpa_mask`` path passes as a float attention mask (the references).

The bias never needs to exist: every term is a per-query value looked up by ONE coordinate of the
key, so the whole bias is a rank-(kt+kh+kw) product ``A·Bᵀ`` with ``A = [q·R_t | q·R_h | q·R_w]``
per patch query and ``B`` the one-hot code of each patch key's (t', i', j') (zero rows for CLS and
extra tokens). ``rel_pos_qk_augment`` appends A to the (pre-scaled) queries and B to the keys, so a
plain fused attention kernel computes ``scale·q·k + bias`` without the ``Nq x Nk`` tensor.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def resample_rel_pos(table: torch.Tensor, length: int) -> torch.Tensor:
    """Resamples a ``(L, C)`` relative-position table to ``length`` rows (1-D linear,
    ``align_corners=False``); a single row picks the zero-offset (centre) entry."""
    if table.shape[0] == length:
        return table
    out = F.interpolate(table.t().unsqueeze(0), size=length, mode="linear")
    return out[0].t()


def rel_pos_index(n_q: int, n_k: int) -> torch.Tensor:
    """Index ``δ(a, b)`` into a table of length ``2·max(n_q, n_k) − 1`` for query a and key b.

    ``δ = floor(a·max(n_k/n_q,1) − b·max(n_q/n_k,1) + (n_k−1)·max(n_q/n_k,1))``, evaluated in
    float32 like the original so that truncation agrees on non-integer stride ratios.
    """
    q_ratio = max(n_k / n_q, 1.0)
    k_ratio = max(n_q / n_k, 1.0)
    dist = torch.arange(n_q)[:, None] * q_ratio - torch.arange(n_k)[None, :] * k_ratio
    dist += (n_k - 1) * k_ratio
    return dist.long()


_CONSTANTS: dict[tuple, torch.Tensor] = {}


def cached_constant(key: tuple, make) -> torch.Tensor:
    """``make()`` built once per ``key`` (which names shape, device and dtype) and kept: the MViT
    index/code/mask tensors, so no step pays a host-to-device copy (a host sync) or small index kernels.
    Built outside inference mode, so autograd can use it even if a no-grad forward built it first."""
    t = _CONSTANTS.get(key)
    if t is None:
        with torch.inference_mode(False):  # usable later by autograd even if first built in inference
            t = _CONSTANTS[key] = make()
    return t


def _query_columns(q_thw: list[int], k_thw: list[int], parts: list[str], lengths: list[int], device) -> torch.Tensor:
    """``(Nq_patch, Σ k sizes)`` column of ``q·[R_t | R_h | R_w]ᵀ`` that holds each query's term for each key
    coordinate, in the order of ``parts`` (the tables concatenated in that order, ``lengths`` rows each)."""
    qt, qh, qw = q_thw
    pos = torch.arange(qt * qh * qw)
    coord = {"t": pos // (qh * qw), "h": (pos // qw) % qh, "w": pos % qw}
    sizes = {"t": (qt, k_thw[0]), "h": (qh, k_thw[1]), "w": (qw, k_thw[2])}
    cols, offset = [], 0
    for p, length in zip(parts, lengths):
        cols.append(rel_pos_index(*sizes[p])[coord[p]] + offset)  # (Nq, k size)
        offset += length
    return torch.cat(cols, dim=1).to(device)


def gathered_rel_pos_terms(
    q_patch: torch.Tensor,
    q_thw: list[int],
    k_thw: list[int],
    rel_pos_h: torch.Tensor | None,
    rel_pos_w: torch.Tensor | None,
    rel_pos_t: torch.Tensor | None,
) -> tuple[torch.Tensor, list[str]]:
    """Per-query terms ``(B, heads, Nq_patch, kt+kh+kw)`` for the parts ``t, h, w`` of the tables present
    (returned too): entry [.., q, m] of part x is ``q·R_x[δ(q's x coordinate, m)]``. ONE product of the
    queries with all tables stacked, then one gather of the columns each query needs; three einsums
    (whose backward is mostly permutes and copies) would cost about 30 more kernels per block in a
    training step for the same values (tests/models/test_mvit_fast_paths.py compares them)."""
    parts, tables = [], []
    qt, qh, qw = q_thw
    kt, kh, kw = k_thw
    if rel_pos_t is not None:
        parts.append("t")
        tables.append(resample_rel_pos(rel_pos_t, 2 * max(qt, kt) - 1))
    if rel_pos_h is not None:
        parts += ["h", "w"]
        tables += [resample_rel_pos(rel_pos_h, 2 * max(qh, kh) - 1), resample_rel_pos(rel_pos_w, 2 * max(qw, kw) - 1)]
    lengths = [t.shape[0] for t in tables]
    key = ("columns", tuple(q_thw), tuple(k_thw), tuple(parts), tuple(lengths), str(q_patch.device))
    cols = cached_constant(key, lambda: _query_columns(q_thw, k_thw, parts, lengths, q_patch.device))
    stacked = torch.cat(tables, dim=0) if len(tables) > 1 else tables[0]
    scores = q_patch @ stacked.to(q_patch.dtype).t()  # (B, heads, Nq, Σ table lengths)
    b, n_h = q_patch.shape[:2]
    return torch.gather(scores, 3, cols.expand(b, n_h, *cols.shape)), parts


def key_position_codes(k_thw: list[int], parts: list[str], n_k: int, start: int, device, dtype) -> torch.Tensor:
    """``(n_k, Σ sizes)`` one-hot codes of the patch keys' coordinates, in the order of ``parts``
    (subset of t/h/w); rows of CLS (before ``start``) and extra tokens (after the grid) are zero."""
    kt, kh, kw = k_thw
    sizes = {"t": kt, "h": kh, "w": kw}
    idx = torch.arange(kt * kh * kw, device=device)
    coord = {"t": idx // (kh * kw), "h": (idx // kw) % kh, "w": idx % kw}
    codes = torch.zeros(n_k, sum(sizes[p] for p in parts), device=device, dtype=dtype)
    rows = idx + start
    offset = 0
    for p in parts:
        codes[rows, offset + coord[p]] = 1
        offset += sizes[p]
    return codes


def rel_pos_qk_augment(
    q: torch.Tensor,
    k: torch.Tensor,
    q_thw: list[int],
    k_thw: list[int],
    start: int,
    scale: float,
    rel_pos_h: torch.Tensor | None,
    rel_pos_w: torch.Tensor | None,
    rel_pos_t: torch.Tensor | None,
    multiple: int = 8,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(q', k')`` with ``q'·k'ᵀ = scale·q·kᵀ + bias`` (the decomposed relative-position bias on the
    patch block, zero elsewhere): ``q' = [scale·q | A | 0]``, ``k' = [k | B | 0]``, zero-padded to a
    multiple of ``multiple`` channels. Attention on them must use ``scale=1``."""
    b, n_h, n_q, c = q.shape
    n_k = k.shape[2]
    nq_p = q_thw[0] * q_thw[1] * q_thw[2]
    a, parts = gathered_rel_pos_terms(q[:, :, start : start + nq_p], q_thw, k_thw, rel_pos_h, rel_pos_w, rel_pos_t)
    extra = a.shape[-1]
    pad = (-(c + extra)) % multiple
    a = F.pad(a, (0, pad, start, n_q - start - nq_p))  # zero rows for CLS and extra queries
    key = ("codes", tuple(k_thw), tuple(parts), n_k, start, pad, str(k.device), k.dtype)
    codes = cached_constant(
        key, lambda: F.pad(key_position_codes(k_thw, parts, n_k, start, k.device, k.dtype), (0, pad))
    )
    q_aug = torch.cat((q * scale, a.to(q.dtype)), dim=-1)
    k_aug = torch.cat((k, codes.expand(b, n_h, n_k, extra + pad)), dim=-1)
    return q_aug, k_aug


def decomposed_rel_pos_bias(
    q_patch: torch.Tensor,
    q_thw: list[int],
    k_thw: list[int],
    rel_pos_h: torch.Tensor | None,
    rel_pos_w: torch.Tensor | None,
    rel_pos_t: torch.Tensor | None,
) -> torch.Tensor:
    """Bias ``(B, heads, Nq_patch, Nk_patch)`` for the patch queries ``q_patch (B, heads, Nq_patch, C)``.

    ``q_patch`` is the pooled, normalised (unscaled) query. Tables set to ``None`` are skipped.
    """
    b, n_h, _, c = q_patch.shape
    qt, qh, qw = q_thw
    kt, kh, kw = k_thw
    r_q = q_patch.reshape(b, n_h, qt, qh, qw, c)
    bias = q_patch.new_zeros((b, n_h, qt, qh, qw, kt, kh, kw))
    if rel_pos_h is not None:
        table_h = resample_rel_pos(rel_pos_h, 2 * max(qh, kh) - 1)
        table_w = resample_rel_pos(rel_pos_w, 2 * max(qw, kw) - 1)
        r_h = table_h[rel_pos_index(qh, kh).to(table_h.device)]  # (qh, kh, C)
        r_w = table_w[rel_pos_index(qw, kw).to(table_w.device)]  # (qw, kw, C)
        rel_h = torch.einsum("bythwc,hkc->bythwk", r_q, r_h.to(r_q.dtype))
        rel_w = torch.einsum("bythwc,wkc->bythwk", r_q, r_w.to(r_q.dtype))
        bias = bias + rel_h[:, :, :, :, :, None, :, None] + rel_w[:, :, :, :, :, None, None, :]
    if rel_pos_t is not None:
        table_t = resample_rel_pos(rel_pos_t, 2 * max(qt, kt) - 1)
        r_t = table_t[rel_pos_index(qt, kt).to(table_t.device)]  # (qt, kt, C)
        rel_t = torch.einsum("bythwc,tkc->bythwk", r_q, r_t.to(r_q.dtype))
        bias = bias + rel_t[:, :, :, :, :, :, None, None]
    return bias.reshape(b, n_h, qt * qh * qw, kt * kh * kw)

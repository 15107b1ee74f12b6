"""3D window bookkeeping of Video Swin: window clipping, partition/reverse and the shift mask.

These are pure tensor reshapes; the rules (clip a window to the map and drop its shift on that
axis, the three-region shift mask with -100 between regions) follow the original so that its
checkpoints and outputs carry over unchanged, including at small inputs.
"""
from __future__ import annotations

from functools import lru_cache

import torch

Size3 = tuple[int, int, int]


def clip_window(size: Size3, window: Size3, shift: Size3) -> tuple[Size3, Size3]:
    """Window and shift used on a ``(D, H, W)`` map: an axis no larger than the window takes the
    map's length as window and no shift (the original's rule, `<=` included)."""
    win, sh = list(window), list(shift)
    for i, n in enumerate(size):
        if n <= window[i]:
            win[i] = n
            sh[i] = 0
    return tuple(win), tuple(sh)


def window_partition(x: torch.Tensor, window: Size3) -> torch.Tensor:
    """``(B, D, H, W, C)`` (each axis a multiple of the window) -> ``(B*nW, Wd*Wh*Ww, C)``."""
    b, d, h, w, c = x.shape
    wd, wh, ww = window
    x = x.view(b, d // wd, wd, h // wh, wh, w // ww, ww, c)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, wd * wh * ww, c)


def window_reverse(windows: torch.Tensor, window: Size3, b: int, d: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`: ``(B*nW, Wd*Wh*Ww, C)`` -> ``(B, D, H, W, C)``."""
    wd, wh, ww = window
    x = windows.view(b, d // wd, h // wh, w // ww, wd, wh, ww, -1)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, d, h, w, -1)


def _region_ids(length: int, window: int, shift: int) -> torch.Tensor:
    """Region id per position along one padded axis after the cyclic shift: 0 for positions that
    stay inside whole windows, 1 for the last window's kept part, 2 for the wrapped-around part;
    with no shift every position is in one region."""
    ids = torch.full((length,), 2, dtype=torch.long)
    if shift > 0:
        ids[: length - window] = 0
        ids[length - window: length - shift] = 1
    return ids


@lru_cache(maxsize=64)
def _shift_mask_cpu(size: Size3, window: Size3, shift: Size3) -> torch.Tensor:
    d, h, w = size
    rd, rh, rw = (_region_ids(n, win, s) for n, win, s in zip(size, window, shift))
    region = (rd.view(d, 1, 1) * 9 + rh.view(1, h, 1) * 3 + rw.view(1, 1, w)).to(torch.float32)
    win = window_partition(region.view(1, d, h, w, 1), window).squeeze(-1)  # (nW, N)
    diff = win.unsqueeze(1) - win.unsqueeze(2)
    return torch.zeros_like(diff).masked_fill(diff != 0, -100.0)


def shift_mask(size: Size3, window: Size3, shift: Size3, device: torch.device) -> torch.Tensor:
    """``(nW, N, N)`` additive mask for shifted windows on a padded ``(Dp, Hp, Wp)`` map: 0 inside
    a region, -100 across regions (the original's constant, kept for equal outputs)."""
    return _shift_mask_cpu(tuple(size), tuple(window), tuple(shift)).to(device)

"""One rule for unreadable samples in every phase: counted, reported, limited.

Training replaces an unreadable video by another one (``svit/data/robust.py``); evaluation never
does: the item becomes a placeholder (``missing`` True, label -1) that gets no prediction. Either
way the phase sums ``num_bad`` over all ranks and stops with ``DataQualityError`` when more than
``DATA.MAX_BAD_FRACTION`` of the samples it saw were unreadable; the log names each one.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import torch
from fvcore.common.config import CfgNode

from svit.engine.errors import DataQualityError


def evaluation_keep(batch: dict[str, Any]) -> torch.Tensor:
    """Mask of the batch items that get a prediction: labelled (>= 0) and not placeholders."""
    keep = batch["labels"] >= 0
    missing = batch.get("missing")
    if isinstance(missing, torch.Tensor):
        keep = keep & ~missing.to(keep.device, torch.bool)
    return keep


def check_bad_fraction(cfg: CfgNode, bad: float, seen: float, phase: str, replaced: bool) -> None:
    """Raises DataQualityError when ``bad / seen`` (global counts) passes DATA.MAX_BAD_FRACTION."""
    if seen and bad / seen > cfg.DATA.MAX_BAD_FRACTION:
        what = "replaced" if replaced else "left without a prediction"
        raise DataQualityError(
            f"{phase}: {int(bad)} of {int(seen)} samples ({bad / seen:.1%}) were unreadable and {what}, more "
            f"than DATA.MAX_BAD_FRACTION {cfg.DATA.MAX_BAD_FRACTION}; see the log for their paths."
        )


def readable_batches(batches: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The batches without their placeholder items (``missing``); batches left empty are skipped."""
    for batch in batches:
        missing = batch.get("missing")
        if not isinstance(missing, torch.Tensor) or not missing.any():
            yield batch
            continue
        keep = ~missing.bool()
        if not keep.any():
            continue
        n = missing.numel()
        rows = keep.nonzero().flatten().tolist()
        out: dict[str, Any] = {}
        for k, v in batch.items():
            if isinstance(v, torch.Tensor) and v.dim() > 0 and v.shape[0] == n:
                out[k] = v[keep]
            elif isinstance(v, list) and len(v) == n:
                out[k] = [v[i] for i in rows]
            else:
                out[k] = v
        yield out

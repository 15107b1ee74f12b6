"""Stacks dataset items (dicts) into a batch dict with the plural keys of docs/ARCHITECTURE.md."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

# Item key -> batch key where the names differ.
PLURAL = {"label": "labels", "image": "images"}


def _stack(key: str, values: list[Any]) -> Any:
    first = values[0]
    if isinstance(first, torch.Tensor):
        try:
            return torch.stack(values)
        except RuntimeError as e:
            shapes = sorted({tuple(v.shape) for v in values})
            raise RuntimeError(f"collate: items disagree on the shape of '{key}': {shapes}") from e
    if isinstance(first, np.ndarray):
        return torch.from_numpy(np.stack(values))
    if isinstance(first, bool):
        return torch.tensor(values, dtype=torch.bool)
    if isinstance(first, (int, np.integer)):
        return torch.tensor([int(v) for v in values], dtype=torch.int64)
    if isinstance(first, (float, np.floating)):
        return torch.tensor([float(v) for v in values], dtype=torch.float32)
    return list(values)


def collate(items: Sequence[dict]) -> dict[str, Any]:
    """Batch dict from a list of item dicts; ``num_bad`` becomes the batch's summed int."""
    if not items:
        raise ValueError("collate: empty batch")
    keys = items[0].keys()
    batch: dict[str, Any] = {}
    for key in keys:
        values = [it[key] for it in items]
        if key == "num_bad":
            batch["num_bad"] = int(sum(int(v) for v in values))
            continue
        batch[PLURAL.get(key, key)] = _stack(key, values)
    if "num_bad" not in batch:
        batch["num_bad"] = int(sum(int(it.get("num_bad", 0)) for it in items))
    return batch

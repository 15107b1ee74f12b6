"""Stacks dataset items (dicts) into a batch dict with the plural keys of docs/ARCHITECTURE.md.

In a DataLoader worker the stacked tensors are allocated in shared memory from the start (as
torch's default collate does): a batch stacked into private memory is copied once more into shared
memory when the worker sends it, which on the embedded CPU job cost about 42 ms of page faults per
batch against 12 ms. The values are the same either way (tests/data/test_collate_shared.py).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch.utils.data import get_worker_info

# Item key -> batch key where the names differ.
PLURAL = {"label": "labels", "image": "images"}


def _in_worker() -> bool:
    return get_worker_info() is not None


def _shared_empty(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised CPU tensor whose storage is in shared memory (what a worker sends without a copy)."""
    numel = int(np.prod(shape, dtype=np.int64))
    storage = torch.empty(0, dtype=dtype)._typed_storage()._new_shared(numel, device="cpu")
    return torch.empty(0, dtype=dtype).new(storage).resize_(*shape)


def stack_tensors(key: str, values: list[torch.Tensor]) -> torch.Tensor:
    """``torch.stack(values)``, into shared memory inside a DataLoader worker; a clear error naming
    ``key`` when the items' shapes differ."""
    first = values[0]
    out = None
    if _in_worker() and all(v.shape == first.shape and v.dtype == first.dtype and not v.is_cuda for v in values):
        out = _shared_empty((len(values), *first.shape), first.dtype)
    try:
        return torch.stack(values, out=out)
    except RuntimeError as e:
        shapes = sorted({tuple(v.shape) for v in values})
        raise RuntimeError(f"collate: items disagree on the shape of '{key}': {shapes}") from e


def stack_arrays(values: list[np.ndarray]) -> torch.Tensor:
    """``torch.from_numpy(np.stack(values))``, stacked straight into shared memory inside a worker."""
    first = values[0]
    if not _in_worker() or any(v.shape != first.shape for v in values):
        return torch.from_numpy(np.stack(values))  # np.stack reports a shape mismatch itself
    dtype = np.result_type(*values)
    out = _shared_empty((len(values), *first.shape), torch.from_numpy(np.empty(0, dtype)).dtype)
    np.stack(values, out=out.numpy())
    return out


def _stack(key: str, values: list[Any]) -> Any:
    first = values[0]
    if isinstance(first, torch.Tensor):
        return stack_tensors(key, values)
    if isinstance(first, np.ndarray):
        return stack_arrays(values)
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

"""``RecordReads``: a TorchFunctionMode that records every tensor-to-Python conversion (``item``, ``tolist``,
``float()``, ``int()``, ``bool()``, ``__index__``, ``numpy``) with the svit frame that asked for it.

On a GPU each such read waits for the device; the CPU cannot show the wait, but it can show the reads.
Reads made inside ``torch.utils.data`` (the DataLoader and its sampler: host tensors) are not recorded.
Used by tests/engine/test_step_device_reads.py and tests/integration/test_svit_cotrain.py.
"""
from __future__ import annotations

import collections
import os
import traceback

import torch
import torch.utils.data
from torch.overrides import TorchFunctionMode

import svit

_READS = {torch.Tensor.item, torch.Tensor.tolist, torch.Tensor.__float__, torch.Tensor.__int__,
          torch.Tensor.__bool__, torch.Tensor.__index__, torch.Tensor.numpy}
# frames are told apart by the packages' own folders (not by names in the path: a clone may live in a
# folder called svit, with its virtual environment inside)
_SVIT = os.path.dirname(os.path.abspath(svit.__file__)) + os.sep
_TORCH_DATA = os.path.dirname(os.path.abspath(torch.utils.data.__file__)) + os.sep


class RecordReads(TorchFunctionMode):
    """``reads``: Counter of (conversion, "path:line function" of the innermost svit frame, path relative to
    the svit package)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: collections.Counter = collections.Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _READS:
            stack = [(os.path.abspath(f.filename), f) for f in traceback.extract_stack()[:-1]]
            if any(path.startswith(_TORCH_DATA) for path, _ in stack):
                return func(*args, **(kwargs or {}))  # the loader's sampler: host tensors
            frames = [(path, f) for path, f in stack if path.startswith(_SVIT)]
            where = "?"
            if frames:
                path, f = frames[-1]
                where = f"{os.path.relpath(path, _SVIT).replace(os.sep, '/')}:{f.lineno} {f.name}"
            self.reads[(func.__name__, where)] += 1
        return func(*args, **(kwargs or {}))

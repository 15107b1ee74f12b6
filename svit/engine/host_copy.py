"""A device tensor on its way to host memory, read later without stopping the host now.

``tensor.cpu()`` (or ``float(t)``, ``.tolist()``) waits for everything queued on the device before it,
so a loop that reads every step's or batch's result keeps draining the GPU queue. ``HostCopy(t)``
instead queues a non-blocking copy into pinned memory and records an event behind it; ``wait()``
blocks only on that event, typically after the next step or batch has been launched, by which time the
copy is done and the device still has work queued. On the CPU it holds the tensor itself.
"""
from __future__ import annotations

import torch


class HostCopy:
    """``HostCopy(t).wait()`` == ``t.cpu()``, with the copy started at construction (see module docstring)."""

    def __init__(self, tensor: torch.Tensor) -> None:
        tensor = tensor.detach()
        self.event = None
        if tensor.is_cuda:
            self.host = torch.empty(tensor.shape, dtype=tensor.dtype, pin_memory=True)
            self.host.copy_(tensor, non_blocking=True)
            self.event = torch.cuda.Event()
            self.event.record()
        else:
            self.host = tensor

    def wait(self) -> torch.Tensor:
        """The host tensor, once its copy has finished."""
        if self.event is not None:
            self.event.synchronize()
        return self.host

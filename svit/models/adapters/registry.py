"""Registry of checkpoint adapters: ``@ADAPTER_REGISTRY.register("name")`` on
``adapt(state: dict[str, Tensor], model: nn.Module, report: LoadReport) -> dict[str, Tensor]``.

An adapter maps a foreign state dict to svit's parameter names for ``model`` (the unwrapped
module, so it may read target shapes); it may resample tensors to the model's shapes and records
that in ``report.resampled`` (key, old shape, new shape), records keys it discards on purpose in
``report.dropped`` (key, reason), and raises ``svit.checkpoint.CheckpointError`` naming
``report.path``, the key and the shapes when the file belongs to another family or size.
``TRAIN.CHECKPOINT_TYPE`` / ``TEST.CHECKPOINT_TYPE`` pick the adapter; "pytorch" and "auto" need none.

The registry object is defined in svit.checkpoint (a layer below the models), which looks adapters up
while loading; adapters register into it from here, so loading never imports the models.
"""
from svit.checkpoint import ADAPTER_REGISTRY

__all__ = ["ADAPTER_REGISTRY"]

"""Registry of losses: ``@LOSS_REGISTRY.register("name")`` on a class built as ``cls(cfg)`` whose
``__call__(outputs: dict, batch: dict) -> dict[str, Tensor]`` returns named, unweighted terms."""
from svit.utils.registry import Registry

LOSS_REGISTRY = Registry("loss")

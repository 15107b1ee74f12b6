"""Registry of model builders: ``@MODEL_REGISTRY.register("Name")`` on ``fn(cfg) -> nn.Module``."""
from svit.utils.registry import Registry

MODEL_REGISTRY = Registry("model")

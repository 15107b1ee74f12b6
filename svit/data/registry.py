"""Registry of dataset builders: ``@DATASET_REGISTRY.register("name")`` on ``fn(cfg, split) -> Dataset``.

``split`` is one of "train", "val", "test"."""
from svit.utils.registry import Registry

DATASET_REGISTRY = Registry("dataset")

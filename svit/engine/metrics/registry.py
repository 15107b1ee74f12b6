"""Registry of test metrics: ``@METRIC_REGISTRY.register("name")`` on ``fn(MetricInput) -> dict``."""
from svit.utils.registry import Registry

METRIC_REGISTRY = Registry("metric")

"""Mean class accuracy (%): the average over classes that have labelled videos of their top-1 recall."""
from __future__ import annotations

from svit.engine.metrics.base import MetricInput
from svit.engine.metrics.registry import METRIC_REGISTRY


@METRIC_REGISTRY.register("mean_class_accuracy")
def mean_class_accuracy(inp: MetricInput) -> dict[str, float]:
    """``mean_class_accuracy`` (%): mean top-1 recall over the classes that have labelled videos."""
    conf = inp.confusion
    n = conf.sum(axis=1)
    present = n > 0
    if not present.any():
        return {"mean_class_accuracy": float("nan")}
    return {"mean_class_accuracy": float((conf.diagonal()[present] / n[present]).mean() * 100)}

"""Single-label top-1 and top-5 accuracy (%) over the labelled videos (top-5 capped at K classes)."""
from __future__ import annotations

from svit.engine.metrics.base import MetricInput
from svit.engine.metrics.registry import METRIC_REGISTRY


@METRIC_REGISTRY.register("topk")
def topk_accuracy(inp: MetricInput) -> dict[str, float]:
    """``top1`` and ``top5`` (%): the label is the best (among the five best) scored class."""
    y = inp.known_labels
    if not len(y):
        return {"top1": float("nan"), "top5": float("nan")}
    k5 = min(5, inp.scores.shape[1])
    top1 = float((inp.ranking[:, 0] == y).mean() * 100)
    top5 = float((inp.ranking[:, :k5] == y[:, None]).any(axis=1).mean() * 100)
    return {"top1": top1, "top5": top5}

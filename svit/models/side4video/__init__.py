"""Side4Video: frozen CLIP/EVA image towers with a trainable spatial-temporal side network."""
from svit.models.side4video.build import build_side4video
from svit.models.side4video.model import Side4Video
from svit.models.side4video.towers import PRESETS, infer_tower_from_state, infer_tower_from_weights

__all__ = ["Side4Video", "build_side4video", "PRESETS", "infer_tower_from_state", "infer_tower_from_weights"]

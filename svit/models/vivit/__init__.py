"""ViViT factorised encoder (spatial ViT per time index + temporal transformer), SV-Mix variant."""
from svit.models.vivit.model import ViViT, build_vivit

__all__ = ["ViViT", "build_vivit"]

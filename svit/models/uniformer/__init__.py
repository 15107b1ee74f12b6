"""UniFormer video models (local CBlocks + global self-attention)."""
from svit.models.uniformer.model import UNIFORMER_DEPTHS, UniFormer, build_uniformer

__all__ = ["UNIFORMER_DEPTHS", "UniFormer", "build_uniformer"]

"""MViTv2 (PySlowFast-compatible) and its building blocks; SViT builds on it (svit/models/svit.py)."""
from svit.models.mvit.attention import MultiScaleAttention
from svit.models.mvit.block import MultiScaleBlock
from svit.models.mvit.model import MViT, build_mvit
from svit.models.mvit.patch_embed import PatchEmbed

__all__ = ["MViT", "MultiScaleAttention", "MultiScaleBlock", "PatchEmbed", "build_mvit"]

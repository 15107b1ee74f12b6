"""Layers shared by several model families (no registered models here)."""
from svit.models.layers.depthwise import DEPTHWISE_CONV_IMPLS, DepthwiseConv3d, set_depthwise_conv_impl

__all__ = ["DEPTHWISE_CONV_IMPLS", "DepthwiseConv3d", "set_depthwise_conv_impl"]

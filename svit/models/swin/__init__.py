"""Video Swin Transformer (3D shifted windows) and its building blocks."""
from svit.models.swin.model import VIDEO_SWIN_ARCHS, VideoSwin, build_video_swin

__all__ = ["VIDEO_SWIN_ARCHS", "VideoSwin", "build_video_swin"]

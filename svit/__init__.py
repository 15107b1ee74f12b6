"""svit: a research codebase for video action recognition (SViT, MViTv2, CNN baselines, H2CN)."""

__version__ = "0.1.0"

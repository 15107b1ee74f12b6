"""svit: a research codebase for video action recognition (SViT, MViTv2, CNN baselines, H2CN)."""
import warnings

# fvcore scripts a helper with torch.jit at import time; newer torch warns about it on every run.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning)

__version__ = "0.1.0"

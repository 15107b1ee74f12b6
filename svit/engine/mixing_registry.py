"""Registry of batch-mixing hooks (mixup/cutmix, SV-Mix): ``cls(cfg)`` with ``__call__(batch) -> batch``."""
from svit.utils.registry import Registry

MIX_REGISTRY = Registry("batch mixer")

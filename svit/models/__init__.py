"""Models of every family, registered by name; ``build_model(cfg)`` builds the configured one."""
from svit.models.build import build_model
from svit.models.registry import MODEL_REGISTRY
from svit.utils.autoload import import_submodules

import_submodules(__name__)

__all__ = ["build_model", "MODEL_REGISTRY"]

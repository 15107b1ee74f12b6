"""Data sources (registered by name), the engine's loader and collate.

Importing this package imports every module below it, so each ``@DATASET_REGISTRY.register`` runs.
"""
from svit.data.collate import collate
from svit.data.loader import build_dataset, build_loader
from svit.data.registry import DATASET_REGISTRY
from svit.utils.autoload import import_submodules

import_submodules(__name__)

__all__ = ["DATASET_REGISTRY", "build_dataset", "build_loader", "collate"]

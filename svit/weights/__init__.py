"""Weights by name: a catalogue of released files, and ``resolve(spec)`` that turns any weights
key's value (catalogue name, URL or path) into a verified local file (downloading it once)."""
from svit.weights.cache import weights_dir
from svit.weights.catalog import (
    WEIGHT_KEYS,
    Entry,
    all_entries,
    closest_names,
    entries_for_config,
    lookup,
    names_torchscript_archive,
)
from svit.weights.errors import WeightsError
from svit.weights.resolve import cached_path, fetch, resolve

__all__ = ["WEIGHT_KEYS", "Entry", "WeightsError", "all_entries", "cached_path", "closest_names",
           "entries_for_config", "fetch", "lookup", "names_torchscript_archive", "resolve", "weights_dir"]

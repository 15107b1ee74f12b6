"""The backend table (see the package docstring): backends register themselves here, this module
imports none of them (the package ``__init__`` imports svit's four, a plugin imports its own)."""
from __future__ import annotations

import functools
import importlib.util
from typing import Callable, NamedTuple

from svit.config.sections import register_key_choices
from svit.data.decoders.source import VideoSource, nominal_times

__all__ = ["BACKENDS", "VideoSource", "available_backends", "backend_works", "nominal_times", "open_video",
           "register_backend"]


class Backend(NamedTuple):
    """A registered storage format: how to open a file, the Python package it needs (None = none), and
    an optional ``probe() -> bool`` for a package that imports but may still fail to decode here."""

    opener: Callable[..., VideoSource]
    module: str | None
    probe: Callable[[], bool] | None


BACKENDS: dict[str, Backend] = {}
# DATA.DECODING_BACKEND takes these names; validate_config checks it.
register_key_choices("DATA.DECODING_BACKEND", BACKENDS)


def register_backend(name: str, opener: Callable[..., VideoSource], module: str | None = None,
                     probe: Callable[[], bool] | None = None) -> None:
    """Adds decoding backend ``name`` (a plugin's storage format): ``opener(path, video_id, **options)``
    returns a ``VideoSource``; ``module`` is a Python package it needs (None = none); ``probe`` (optional)
    says whether the installed package really decodes here."""
    if name in BACKENDS and BACKENDS[name].opener is not opener:
        raise ValueError(f"decoding backend '{name}' is already registered by {BACKENDS[name].opener!r}")
    BACKENDS[name] = Backend(opener, module, probe)
    backend_works.cache_clear()


@functools.lru_cache(maxsize=None)
def backend_works(name: str) -> bool:
    """Whether ``name`` can decode here: its package imports and its probe (if any) passes."""
    backend = BACKENDS[name]
    if backend.module is not None and importlib.util.find_spec(backend.module) is None:
        return False
    return backend.probe is None or backend.probe()


def available_backends() -> list[str]:
    """Backends that can decode here (``frames`` always; optional ones when installed and loadable)."""
    return [name for name in BACKENDS if backend_works(name)]


def open_video(backend: str, path: str, video_id: str, **options) -> VideoSource:
    """Opens ``path`` with ``backend``; options: ``target_fps``, ``tolerance`` (video backends),
    ``template``, ``start_index``, ``expected``, ``allow_gaps`` (frame folders)."""
    if backend not in BACKENDS:
        raise ValueError(f"DATA.DECODING_BACKEND must be one of {sorted(BACKENDS)}, got {backend!r}")
    if not backend_works(backend):
        raise ValueError(f"DATA.DECODING_BACKEND {backend!r} needs the Python package {BACKENDS[backend].module!r}, "
                         f"which is not installed (installed backends: {available_backends()})")
    return BACKENDS[backend].opener(path, video_id, **options)

"""Resolving the user's DATA.* paths (nothing is hard-coded): annotation files are relative to
DATA.PATH_TO_DATA_DIR, frames/videos to DATA.PATH_PREFIX (empty = PATH_TO_DATA_DIR); absolute
paths are used as given."""
from __future__ import annotations

import os


def data_dir(cfg) -> str:
    d = os.path.expanduser(cfg.DATA.PATH_TO_DATA_DIR)
    if not d:
        raise ValueError("DATA.PATH_TO_DATA_DIR is empty: set it to the folder with the annotations")
    if not os.path.isdir(d):
        raise FileNotFoundError(f"DATA.PATH_TO_DATA_DIR {d!r} is not a folder")
    return d


def prefix_dir(cfg) -> str:
    return os.path.expanduser(cfg.DATA.PATH_PREFIX) or data_dir(cfg)


def under(root: str, rel: str) -> str:
    """``rel`` joined onto ``root`` unless it is absolute."""
    rel = os.path.expanduser(rel)
    return rel if os.path.isabs(rel) else os.path.join(root, rel)

"""Finding or generating the synthetic dataset a config asks for.

The folder is SYNTHETIC.ROOT, or ``$SVIT_CACHE/synthetic_ssv2_<hash>`` (default cache
``~/.cache/svit``) where ``<hash>`` covers the generator parameters, so different settings never
share a folder. Generation runs under a file lock next to the folder, so the DDP ranks of one
machine wait for one generator instead of racing; a folder without the ``_COMPLETE`` marker (an
interrupted run) is regenerated from scratch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil

from filelock import FileLock

from svit.data.synthetic.generate import COMPLETE_MARKER, GENERATOR_VERSION, IN_PROGRESS_MARKER, generate_synthetic_ssv2

logger = logging.getLogger(__name__)


def synthetic_params(cfg) -> dict:
    s = cfg.SYNTHETIC
    return {
        "num_videos": int(s.NUM_VIDEOS),
        "seed": int(s.SEED),
        "num_frames": int(s.NUM_FRAMES_PER_VIDEO),
        "size": int(s.FRAME_SIZE),
        "videos": bool(s.WRITE_VIDEOS),
        "version": GENERATOR_VERSION,
    }


def default_root(params: dict) -> str:
    base = os.environ.get("SVIT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "svit")
    digest = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    return os.path.join(base, f"synthetic_ssv2_{digest}")


def ensure_synthetic_dataset(cfg) -> str:
    """Returns the folder of a complete synthetic dataset for ``cfg``, generating it if needed."""
    params = synthetic_params(cfg)
    root = os.path.expanduser(cfg.SYNTHETIC.ROOT) or default_root(params)
    marker = os.path.join(root, COMPLETE_MARKER)
    if not os.path.exists(marker):
        os.makedirs(os.path.dirname(os.path.abspath(root)), exist_ok=True)
        with FileLock(os.path.abspath(root).rstrip(os.sep) + ".lock"):
            if not os.path.exists(marker):  # another rank may have finished while we waited
                if os.path.isdir(root) and os.listdir(root):
                    if not os.path.exists(os.path.join(root, IN_PROGRESS_MARKER)):
                        raise FileExistsError(
                            f"SYNTHETIC.ROOT {root} is a non-empty folder that is not a synthetic dataset "
                            f"(no {COMPLETE_MARKER} or {IN_PROGRESS_MARKER} file); refusing to overwrite it"
                        )
                    logger.warning("synthetic dataset %s is incomplete (interrupted run); regenerating it", root)
                    shutil.rmtree(root)
                logger.info("generating synthetic SSv2 (%s) into %s", params, root)
                generate_synthetic_ssv2(
                    root,
                    params["num_videos"],
                    params["seed"],
                    params["num_frames"],
                    params["size"],
                    workers=max(1, int(cfg.SYNTHETIC.WORKERS)),
                    write_videos=params["videos"],
                )
    logger.info("using synthetic SSv2 dataset at %s", root)
    return root

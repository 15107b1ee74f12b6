"""The shared keys of svit's defaults tree (an fvcore ``CfgNode``): the sections no single part owns.

The keys are data: ``defaults.yaml`` beside this file, each key with its documentation in the comment
lines above it (read by ``svit.config.key_file``, which refuses a key without one). A registered part's
own section (MVIT, SWIN, UNIFORMER, VIVIT, SIDE4VIDEO, CNN, H2CN, SVIT and IMAGE_TRAIN, SVMIX, SSV2,
LIST_DATA, SYNTHETIC, ...) is a ``config.yaml`` beside its code (``svit.config.sections``);
``svit.config.get_cfg`` assembles both into the tree users write. YAML files merge over this tree and
command-line ``KEY VALUE`` pairs merge last (see ``svit.config.load_config``). Key names follow
PySlowFast / SViT where the concept is the same, so their yaml files carry over. Keys that exist in the
original SViT or PySlowFast configs but do nothing here are listed in ``svit.config.legacy`` and are
accepted with a single warning. A shared default that has to be computed would be set here, after the
file is read.

Sections there:
  (top level)  run-wide settings          TRAIN / TEST   phases
  DATA / DATA_LOADER / AUG / MIXUP       data, loading, augmentation, batch mixing
  MODEL                                  what every model family reads
  SOLVER / BN / MODEL_EMA                optimisation, batch norm, weight averaging
  TENSORBOARD / WANDB                    logging
"""

from __future__ import annotations

import os

from fvcore.common.config import CfgNode

from svit.config.key_file import read_key_file

SHARED_KEYS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "defaults.yaml")
_C = read_key_file(SHARED_KEYS_FILE)


def shared_cfg() -> CfgNode:
    """A fresh copy of the shared keys only; ``svit.config.get_cfg`` adds every part's section."""
    return _C.clone()


def get_cfg() -> CfgNode:
    """The whole defaults tree, as ``svit.config.get_cfg`` (this module's old entry point)."""
    from svit.config.assemble import get_cfg as assembled  # assemble imports this module: no cycle at import

    return assembled()

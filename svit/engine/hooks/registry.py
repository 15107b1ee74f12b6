"""Registry of batch hooks (TRAIN.HOOKS) and the run's hook names: see svit/engine/hooks/base.py for the
interface. The hooks import this module, not the package (whose __init__ imports every hook)."""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.utils.registry import Registry

HOOK_REGISTRY = Registry("batch hook")


def hook_names(cfg: CfgNode) -> list[str]:
    """TRAIN.HOOKS in order, with MIXUP.METHOD in front when MIXUP.ENABLE (the historical switch)."""
    names = [str(n) for n in cfg.TRAIN.HOOKS]
    if cfg.MIXUP.ENABLE and cfg.MIXUP.METHOD not in names:
        names.insert(0, str(cfg.MIXUP.METHOD))
    return names

"""Resuming with a changed config: refuse what changes the network, warn about the rest.

A checkpoint stores the resolved config it was trained with (``cfg``, yaml text). Weight names
alone cannot tell TSN from TSM (the temporal shift has no parameters), so a resume compares that
config with the current one before any weight is loaded:

* architectural keys differ -> ``ResumeConfigError`` listing them: ``MODEL.ARCH``,
  ``MODEL.MODEL_NAME``, ``MODEL.NUM_CLASSES``, ``DATA.INPUT_CHANNEL_NUM`` and every key of the model
  family's own section(s) (``CNN``, ``MVIT``, ``SVIT``, ``H2CN``, ...: those the registered builder
  of ``MODEL.MODEL_NAME`` declares with ``@uses_config_sections``) except
  regularisation/initialisation/weight-file keys (drop rates, init
  scales, ImageNet weight paths, ...), which do not change what the weights mean;
* any other key differs (lr, batch size, augmentation, ...) -> one warning listing old -> new.

To start a new run from a checkpoint of another architecture use ``TRAIN.CHECKPOINT_FILE_PATH``
(fine-tuning; the epoch is reset), which is not a resume and is not checked.
"""
from __future__ import annotations

import logging
import os
import re
from typing import Any, Callable

import torch
import yaml
from fvcore.common.config import CfgNode

from svit.config.legacy import rename_flat
from svit.engine.errors import RunError
from svit.engine.output_dir import OutputDirError
from svit.models import MODEL_REGISTRY
from svit.run_folder import CONFIG_FILE, STATS_FILE

logger = logging.getLogger("svit.resume_check")

ARCH_KEYS = ("MODEL.ARCH", "MODEL.MODEL_NAME", "MODEL.NUM_CLASSES", "DATA.INPUT_CHANNEL_NUM")
# Keys inside a family section that do not change the network's structure or the meaning of weights.
_NON_ARCH = re.compile(r"DROP|INIT|WEIGHTS|PRETRAIN|PATH|FILE|CHECKPOINT|ATTN_IMPL|PARTIAL_BN|LAMBDA|LOSS")
# Keys that differ between a run and its own resume as a matter of course: never reported.
_ALWAYS_IGNORED = {"OUTPUT_DIR", "TRAIN.AUTO_RESUME", "TRAIN.OVERWRITE", "NUM_GPUS", "NUM_CPU_PROCS",
                   "NUM_SHARDS", "SHARD_ID", "DATA_LOADER.NUM_WORKERS", "DATA_LOADER.NUM_WORKERS_VAL",
                   "TRAIN.CHECKPOINT_FILE_PATH", "TRAIN.CHECKPOINT_EPOCH_RESET", "TRAIN.CHECKPOINT_LOAD_OPTIMIZER"}
_MAX_SHOWN = 12


class ResumeConfigError(RunError):
    """The checkpoint to resume was trained with a different network than the current config builds."""


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """``{"A.B": value}`` of a nested mapping (lists/tuples compared as lists)."""
    out: dict[str, Any] = {}
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    out[prefix[:-1]] = list(tree) if isinstance(tree, tuple) else tree
    return out


def family_sections(flat: dict[str, Any]) -> set[str]:
    """The sections the registered builder of ``MODEL.MODEL_NAME`` declares it reads
    (``@uses_config_sections``); none for a name no longer registered (the name itself differs)."""
    name = str(flat.get("MODEL.MODEL_NAME", ""))
    builder = MODEL_REGISTRY.get(name) if name in MODEL_REGISTRY else None
    return set(getattr(builder, "config_sections", ()))


def is_architectural(key: str, sections: set[str]) -> bool:
    if key in ARCH_KEYS:
        return True
    section, _, leaf = key.partition(".")
    return section in sections and bool(leaf) and not _NON_ARCH.search(leaf)


def stored_config(path: str) -> str | None:
    """The ``cfg`` yaml text of a checkpoint, read memory-mapped (weights are not loaded)."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # not a zip archive (old format): the loader reports real problems later
        return None
    text = ckpt.get("cfg") if isinstance(ckpt, dict) else None
    return text if isinstance(text, str) and text.strip() else None


def compare_configs(old_yaml: str, cfg: CfgNode) -> tuple[list[str], list[str]]:
    """``(architectural, other)`` differences as ``"KEY: old -> new"`` lines; a config saved before a
    key was renamed (``svit.config.legacy.RENAMED_KEYS``) is read under the new names."""
    old = rename_flat(flatten(yaml.safe_load(old_yaml) or {}))
    new = flatten(yaml.safe_load(cfg.dump()) or {})
    sections = family_sections(new) | family_sections(old)
    arch, other = [], []
    for key in sorted(set(old) | set(new)):
        if key in _ALWAYS_IGNORED:
            continue
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        if a == b:
            continue
        line = f"{key}: {a!r} -> {b!r}"
        (arch if is_architectural(key, sections) else other).append(line)
    return arch, other


def _settle(arch: list[str], other: list[str], refusal: Callable[[str], Exception], warning: str,
            where: str) -> None:
    """The rule both checks apply to ``compare_configs``' lists: raise ``refusal(first architectural
    differences)`` if there are any, else log ``warning % (where, first other differences, "(and N
    more)")`` if there are any."""
    if arch:
        raise refusal("; ".join(arch[:_MAX_SHOWN]))
    if other:
        more = f" (and {len(other) - _MAX_SHOWN} more)" if len(other) > _MAX_SHOWN else ""
        logger.warning(warning, where, "; ".join(other[:_MAX_SHOWN]), more)


def check_resume(cfg: CfgNode, path: str) -> None:
    """Raises ResumeConfigError on architectural differences between ``path``'s config and ``cfg``;
    logs one warning listing the other differences."""
    old_yaml = stored_config(path)
    if old_yaml is None:
        logger.warning("%s stores no config: cannot check that it was trained with this model", path)
        return
    arch, other = compare_configs(old_yaml, cfg)
    _settle(arch, other, lambda shown: ResumeConfigError(
        f"Cannot resume from {path}: it was trained with a different model than the current config "
        f"builds ({shown}). Use the config it was trained with, or start a new run "
        f"from its weights with TRAIN.CHECKPOINT_FILE_PATH in another OUTPUT_DIR."
    ), "Resuming from %s with a changed config: %s%s", path)


def check_restart(cfg: CfgNode) -> None:
    """A fresh start in an OUTPUT_DIR that holds the records of a run stopped before its first
    checkpoint (which ``check_output_dir`` lets the same command restart) must build the same model
    as that run's config.yaml: OutputDirError listing the architectural differences, one warning for
    the others. Nothing to check when the folder holds no records."""
    stats = os.path.join(cfg.OUTPUT_DIR, STATS_FILE)
    saved = os.path.join(cfg.OUTPUT_DIR, CONFIG_FILE)
    if not (os.path.isfile(stats) and os.path.getsize(stats) > 0 and os.path.isfile(saved)):
        return
    with open(saved, errors="replace") as f:
        arch, other = compare_configs(f.read(), cfg)
    _settle(arch, other, lambda shown: OutputDirError(
        f"OUTPUT_DIR {cfg.OUTPUT_DIR} holds the records of a run stopped before its first checkpoint, "
        f"of another model ({shown}). Delete them with TRAIN.OVERWRITE True, or "
        f"choose another OUTPUT_DIR."
    ), "Restarting the run stopped before its first checkpoint in %s with a changed config: %s%s", cfg.OUTPUT_DIR)

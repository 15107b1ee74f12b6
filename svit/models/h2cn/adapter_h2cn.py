"""Checkpoint adapter ``h2cn``: the original H2CN (ty-97/H2CN ``VideoNet``) names -> svit's H2CN.

The released checkpoints come from a ``DataParallel`` wrapper (``module.`` prefix), store the
backbone under ``base_model.`` with stages named ``layerK_bak`` and the CMCB as ``mtdin``, and the
classifier as ``new_fc`` (or ``base_model.fc`` when trained without dropout). The dead
``base_model.conv1_temp`` (a second ImageNet conv1 the original keeps only to initialise the motion
stem) has no counterpart and is dropped (recorded in ``report.dropped``). Any key the rules do not
recognise raises CheckpointError, so a checkpoint of another model family is not half-loaded silently.
"""
from __future__ import annotations

import re

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY

# Original sub-names below ``base_model.`` -> ours below ``backbone.`` (applied after the stage rename).
_MOTION = {
    "fhgc1.0.spaAgg.": "motion.level1.hgc.spatial.",
    "fhgc1.0.convt.": "motion.level1.hgc.temporal.",
    "fhgc1.1.": "motion.level1.bn.",
    "fhgc2.0.spaAgg.": "motion.level2.hgc.spatial.",
    "fhgc2.0.convt.": "motion.level2.hgc.temporal.",
    "fhgc2.1.": "motion.level2.bn.",
    "conv_fhgc.0.": "motion.stem_conv.",
    "conv_fhgc.1.": "motion.stem_bn.",
}
# CMCB parts inside a bottleneck: original ``mtdin.<part>`` -> ours ``cmcb.<part>``.
_CMCB = {
    "conv1.": "reduce.",
    "bn1.": "reduce_bn.",
    "conv2.": "hgc.spatial.",
    "convt.": "hgc.temporal.",
    "conv3.": "expand.",
    "bn3.": "expand_bn.",
}
_BLOCK = re.compile(r"^layer([1-4])_bak\.(\d+)\.(.*)$")
_STEM = re.compile(r"^(conv1|bn1)\.")
_DEAD = ("conv1_temp.",)


def _rename_backbone(name: str, path: str) -> str | None:
    """Maps a name below ``base_model.``; ``None`` for dead tensors; raises on unknown names."""
    if name.startswith(_DEAD):
        return None
    for old, new in _MOTION.items():
        if name.startswith(old):
            return "backbone." + new + name[len(old):]
    if _STEM.match(name):
        return "backbone." + name
    m = _BLOCK.match(name)
    if m:
        stage, idx, rest = m.groups()
        if rest.startswith("mtdin."):
            rest = rest[len("mtdin."):]
            for old, new in _CMCB.items():
                if rest.startswith(old):
                    return f"backbone.layer{stage}.{idx}.cmcb.{new}{rest[len(old):]}"
            raise CheckpointError(f"h2cn adapter: unknown CMCB tensor base_model.{name} in {path}")
        return f"backbone.layer{stage}.{idx}.{rest}"
    if name.startswith("fc."):  # classifier of a model trained without dropout
        return name
    raise CheckpointError(f"h2cn adapter: unknown tensor base_model.{name} in {path}")


@ADAPTER_REGISTRY.register("h2cn")
def adapt_h2cn(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """Returns ``state`` (original H2CN names, with or without ``module.``) in svit's names."""
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        name = key.removeprefix("module.")
        if name.startswith("new_fc."):
            new = "fc." + name[len("new_fc."):]
        elif name.startswith("base_model."):
            new = _rename_backbone(name[len("base_model."):], report.path)
            if new is None:
                report.dropped.append((key, "dead tensor of the original (conv1_temp)"))
                continue
        else:
            raise CheckpointError(
                f"h2cn adapter: unexpected key {key!r} in {report.path} (not an H2CN VideoNet checkpoint?)"
            )
        if new in out:
            raise CheckpointError(f"h2cn adapter: two keys of {report.path} map to {new}")
        out[new] = value
    return out

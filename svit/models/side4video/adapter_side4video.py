"""Checkpoints of the Side4Video project (HJYao00/Side4Video ``Recognition/``), registered as
``side4video``.

The project saves ``{'epoch', 'model_state_dict', 'optimizer_state_dict'}`` of its ``VideoCLIP``
(under DDP, keys start with ``module.``, which the loader strips). Its names and ours:

* tower ``visual.{conv1,class_embedding,positional_embedding,ln_pre,transformer.resblocks}`` (EVA:
  ``visual.{patch_embed,cls_token,pos_embed,blocks}``) -> ``backbone.*`` (the ``clip`` adapter's rules);
* ``visual.side_conv1`` / ``visual.side_pre_bn3d`` -> ``side_stem.conv`` / ``side_stem.bn``;
  ``visual.side_post_bn`` -> ``side_post_bn``; ``[transformer.]side_spatial_position_embeddings``
  -> ``side_pos_embed``;
* CLIP: ``visual.transformer.side_lns.{k}`` / ``side_linears.{k}`` -> ``side_projs.{k}.norm`` / ``.fc``;
  ``visual.transformer.side_transformer.{k}`` -> ``side_blocks.{k}``; EVA: ``visual.side_lns``,
  ``visual.side_linears``, ``visual.side_blocks``; inside a block ``conv.{0,1,2}`` ->
  ``conv.{pw1,dw,pw2}`` and (EVA) ``mlp.{0,2}`` -> ``mlp.{fc1,fc2}``;
* ``fc`` -> ``fc``.

A side-only file (no tower tensors) loads the side network and head only. A checkpoint made for
another tower (width, depth, patch), another side width or another number
of side blocks raises CheckpointError naming the file and the mismatch.
"""
from __future__ import annotations

import re

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.models.side4video.adapter_clip import adapt_tower, describe, model_tower, side4video_target

_RULES = [
    (re.compile(r"^visual\.side_conv1\."), "side_stem.conv."),
    (re.compile(r"^visual\.side_pre_bn3d\."), "side_stem.bn."),
    (re.compile(r"^visual\.side_post_bn\."), "side_post_bn."),
    (re.compile(r"^visual\.(transformer\.)?side_spatial_position_embeddings$"), "side_pos_embed"),
    (re.compile(r"^visual\.(transformer\.)?side_lns\.(\d+)\."), r"side_projs.\2.norm."),
    (re.compile(r"^visual\.(transformer\.)?side_linears\.(\d+)\."), r"side_projs.\2.fc."),
    (re.compile(r"^visual\.(transformer\.side_transformer|side_blocks)\.(\d+)\."), r"side_blocks.\2."),
    (re.compile(r"^fc\."), "fc."),
]
_BLOCK = re.compile(r"^visual\.(transformer\.side_transformer|side_blocks)\.(\d+)\.")
_INNER = [(".conv.0.", ".conv.pw1."), (".conv.1.", ".conv.dw."), (".conv.2.", ".conv.pw2."),
          (".mlp.0.", ".mlp.fc1."), (".mlp.2.", ".mlp.fc2.")]


def side_key(key: str) -> str | None:
    """Our name of a side/head tensor of the project, or None."""
    for pattern, repl in _RULES:
        if pattern.match(key):
            new = pattern.sub(repl, key, count=1)
            if new.startswith("side_blocks."):
                for old, ours in _INNER:
                    new = new.replace(old, ours)
            return new
    return None


@ADAPTER_REGISTRY.register("side4video")
def adapt_side4video(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """Side4Video project checkpoint -> our names (tower, side network and head)."""
    net = side4video_target(model, report, "side4video")
    if "visual.side_conv1.weight" not in state:
        raise CheckpointError(
            f"{report.path}: not a Side4Video checkpoint (no 'visual.side_conv1.weight'); a plain CLIP file "
            "loads with CHECKPOINT_TYPE clip."
        )
    file_dim = state["visual.side_conv1.weight"].shape[0]
    if file_dim != net.side_dim:
        raise CheckpointError(
            f"{report.path}: side network width {file_dim}, but SIDE4VIDEO.SIDE_DIM is {net.side_dim}."
        )
    has_tower = any(k.startswith(("visual.conv1.", "visual.patch_embed.")) for k in state)
    out, rest = adapt_tower(state, net, report) if has_tower else ({}, state)
    blocks = {m.group(2) for k in state if (m := _BLOCK.match(k))}
    if len(blocks) != len(net.side_blocks):
        raise CheckpointError(
            f"{report.path}: {len(blocks)} side blocks, the model has {len(net.side_blocks)} "
            f"({describe(model_tower(net))})."
        )
    for k, v in rest.items():
        new = side_key(k)
        if new is None:
            report.dropped.append((k, "not a weight of the Side4Video recognition model"))
            continue
        out[new] = v.float() if v.is_floating_point() else v
    return out

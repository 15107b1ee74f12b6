"""The complete tensor-name set of a CLIP or EVA image tower, to recognise one in a file.

A file is taken for a tower only when it holds every tensor of one (stem, embeddings, every block's
full set, blocks numbered 0..L-1) and nothing else under the block names; matching one or two names
mistook other checkpoints for towers (an SViT checkpoint has ``patch_embed.proj.weight`` and
``blocks.N.attn.qkv.weight`` and was read as an EVA tower with 25 tensors). The names are taken
from svit's own tower modules, so they stay in step with what the model loads.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

import torch

from svit.checkpoint import CheckpointError
from svit.models.side4video.clip_tower import CLIPVisionTower
from svit.models.side4video.eva_tower import EVAVisionTower

# Our module names -> the file's (OpenAI/open_clip keep the blocks under ``transformer.``).
_FILE_BLOCKS = {"clip": "transformer.resblocks.", "eva": "blocks."}
_OUR_BLOCKS = {"clip": "resblocks.", "eva": "blocks."}


@lru_cache(maxsize=None)
def _names(variant: str, ln_pre: bool) -> tuple[frozenset[str], frozenset[str]]:
    """(stem/embedding names, names inside block 0 without the block prefix) of a tiny tower."""
    if variant == "clip":
        tower = CLIPVisionTower(8, 1, 1, 1, 1, ln_pre=ln_pre)
    else:
        tower = EVAVisionTower(8, 1, 1, 1, 1, 8)
    block = _OUR_BLOCKS[variant] + "0."
    names = list(tower.state_dict())
    stem = frozenset(n for n in names if not n.startswith(block))
    inner = frozenset(n[len(block):] for n in names if n.startswith(block))
    return stem, inner


def check_complete(
    state: Mapping[str, torch.Tensor], prefix: str, variant: str, ln_pre: bool, path: str, what: str
) -> int:
    """Number of blocks of the tower under ``prefix`` in ``state``; CheckpointError naming ``path``,
    ``what`` the file is and the first missing/unknown names unless the set is complete."""
    stem, inner = _names(variant, ln_pre)
    blocks_at = prefix + _FILE_BLOCKS[variant]
    block_re = re.compile(re.escape(blocks_at) + r"(\d+)\.(.+)$")
    found: dict[int, set[str]] = {}
    for k in state:
        m = block_re.match(k)
        if m:
            found.setdefault(int(m.group(1)), set()).add(m.group(2))
    missing = [prefix + n for n in sorted(stem) if prefix + n not in state]
    unknown: list[str] = []
    for i in range(max(found) + 1 if found else 0):
        have = found.get(i, set())
        missing += [f"{blocks_at}{i}.{n}" for n in sorted(inner - have)]
        unknown += [f"{blocks_at}{i}.{n}" for n in sorted(have - inner)]
    if not found:
        missing.append(f"{blocks_at}0.*")
    if missing or unknown:
        kind = "CLIP (OpenAI/open_clip)" if variant == "clip" else "EVA-CLIP"
        parts = []
        if missing:
            parts.append(f"{len(missing)} of its tensors are missing ({', '.join(missing[:3])})")
        if unknown:
            parts.append(f"{len(unknown)} block tensors are not part of one ({', '.join(unknown[:3])})")
        raise CheckpointError(
            f"{path} is not a complete {kind} image tower: {'; '.join(parts)}. The file is {what}."
        )
    return len(found)

"""Config -> constructor keyword arguments for the families whose constructors take the run-wide four
(classes, input channels, head dropout, attention implementation) plus one key per argument of their
own section (Video Swin, UniFormer): one mapping per family instead of one copy of the glue each."""
from __future__ import annotations

from fvcore.common.config import CfgNode


def family_kwargs(cfg: CfgNode, section: str, keys: dict[str, str]) -> dict:
    """``{argument: cfg.<section>.<KEY>}`` for each ``argument: KEY`` of ``keys`` (lists become tuples),
    plus ``num_classes``, ``in_chans``, ``head_dropout`` and ``attn_impl`` from MODEL/DATA."""
    node = cfg[section]
    out = {arg: tuple(node[key]) if isinstance(node[key], list) else node[key] for arg, key in keys.items()}
    return dict(
        num_classes=cfg.MODEL.NUM_CLASSES,
        in_chans=cfg.DATA.INPUT_CHANNEL_NUM[0],
        **out,
        head_dropout=cfg.MODEL.DROPOUT_RATE,
        attn_impl=cfg.MODEL.ATTN_IMPL,
    )

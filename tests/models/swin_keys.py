"""Key lists of the official Video Swin checkpoints (mmaction ``Recognizer3D``: ``SwinTransformer3D``
backbone + ``I3DHead``), written from the original class's structure, and of Microsoft's 2D Swin."""
from __future__ import annotations


def official_videoswin_keys(embed_dim: int, depths, heads, window, num_classes: int, patch=(2, 4, 4)) -> list:
    """``[name, shape, dtype]`` in the original module order."""
    f32, i64 = "torch.float32", "torch.int64"
    keys = [
        ["backbone.patch_embed.proj.weight", [embed_dim, 3, *patch], f32],
        ["backbone.patch_embed.proj.bias", [embed_dim], f32],
        ["backbone.patch_embed.norm.weight", [embed_dim], f32],
        ["backbone.patch_embed.norm.bias", [embed_dim], f32],
    ]
    n_tok = window[0] * window[1] * window[2]
    table = (2 * window[0] - 1) * (2 * window[1] - 1) * (2 * window[2] - 1)
    for i, (depth, nh) in enumerate(zip(depths, heads)):
        dim = embed_dim * 2**i
        for j in range(depth):
            p = f"backbone.layers.{i}.blocks.{j}."
            keys += [
                [p + "norm1.weight", [dim], f32], [p + "norm1.bias", [dim], f32],
                [p + "attn.relative_position_bias_table", [table, nh], f32],
                [p + "attn.relative_position_index", [n_tok, n_tok], i64],
                [p + "attn.qkv.weight", [3 * dim, dim], f32], [p + "attn.qkv.bias", [3 * dim], f32],
                [p + "attn.proj.weight", [dim, dim], f32], [p + "attn.proj.bias", [dim], f32],
                [p + "norm2.weight", [dim], f32], [p + "norm2.bias", [dim], f32],
                [p + "mlp.fc1.weight", [4 * dim, dim], f32], [p + "mlp.fc1.bias", [4 * dim], f32],
                [p + "mlp.fc2.weight", [dim, 4 * dim], f32], [p + "mlp.fc2.bias", [dim], f32],
            ]
        if i < len(depths) - 1:
            p = f"backbone.layers.{i}.downsample."
            keys += [[p + "reduction.weight", [2 * dim, 4 * dim], f32],
                     [p + "norm.weight", [4 * dim], f32], [p + "norm.bias", [4 * dim], f32]]
    last = embed_dim * 2 ** (len(depths) - 1)
    keys += [["backbone.norm.weight", [last], f32], ["backbone.norm.bias", [last], f32],
             ["cls_head.fc_cls.weight", [num_classes, last], f32], ["cls_head.fc_cls.bias", [num_classes], f32]]
    return keys


def imagenet_swin_keys(embed_dim: int, depths, heads, window: int = 7, num_classes: int = 1000) -> list:
    """Microsoft Swin-Transformer (2D) names: 4-D patch kernel, 2D tables, ``attn_mask`` buffers, ``head``."""
    video = official_videoswin_keys(embed_dim, depths, heads, (1, window, window), num_classes, patch=(1, 4, 4))
    out = []
    for name, shape, dt in video:
        name = name.removeprefix("backbone.").replace("cls_head.fc_cls.", "head.")
        if name == "patch_embed.proj.weight":
            shape = [shape[0], shape[1], shape[3], shape[4]]
        out.append([name, shape, dt])
        if name.endswith("relative_position_index") and ".blocks.1." in name:
            out.append([name.replace("attn.relative_position_index", "attn_mask"), [4, window**2, window**2], dt])
    return out

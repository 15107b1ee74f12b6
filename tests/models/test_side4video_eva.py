"""The EVA02-CLIP-bigE-14 variant (spec §1.5) at a tiny size: EVA-CLIP checkpoint names load
through ``clip`` (TOWER auto), and the whole forward equals an independent functional rewrite of
the original's ``EVAVisionTransformer.forward_features`` (post-norm tower and side blocks, side
blocks after the odd-indexed tower blocks, Linear-then-LN projections, no final BN)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from side4video_helpers import save_project_checkpoint, side4video_cfg

from svit.checkpoint import load_checkpoint
from svit.models import build_model
from svit.models.prepare import load_init_checkpoints, resolve_model_config

W, L, P, RES, HID = 128, 4, 16, 64, 300


def eva_clip_state(seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)

    def r(*s):
        return 0.05 * torch.randn(*s, generator=g)

    sd = {"visual.patch_embed.proj.weight": r(W, 3, P, P), "visual.patch_embed.proj.bias": r(W),
          "visual.cls_token": r(1, 1, W), "visual.pos_embed": r(1, (RES // P) ** 2 + 1, W),
          "visual.norm.weight": torch.ones(W), "visual.norm.bias": torch.zeros(W), "visual.head.weight": r(32, W),
          "visual.head.bias": r(32), "text.token_embedding.weight": r(10, 32), "logit_scale": torch.tensor(4.6)}
    for i in range(L):
        b = f"visual.blocks.{i}."
        sd.update({b + "norm1.weight": 1 + r(W), b + "norm1.bias": r(W), b + "attn.qkv.weight": r(3 * W, W),
                   b + "attn.q_bias": r(W), b + "attn.v_bias": r(W), b + "attn.proj.weight": r(W, W),
                   b + "attn.proj.bias": r(W), b + "norm2.weight": 1 + r(W), b + "norm2.bias": r(W),
                   b + "mlp.fc1.weight": r(HID, W), b + "mlp.fc1.bias": r(HID), b + "mlp.fc2.weight": r(W, HID),
                   b + "mlp.fc2.bias": r(W)})
    return sd


def mha(q, k, v, heads):
    b, lq, c = q.shape
    d = c // heads
    q, k, v = (t.reshape(b, -1, heads, d).transpose(1, 2) for t in (q, k, v))
    a = ((q @ k.transpose(-2, -1)) * d**-0.5).softmax(-1)
    return (a @ v).transpose(1, 2).reshape(b, lq, c)


def reference_features(sd: dict, x: torch.Tensor, t: int, side_dim: int, eps_side: float = 1e-5) -> torch.Tensor:
    """Functional EVA Side4Video from the original's code, weights by OUR names (frames video-major)."""
    def lin(z, name, bias=True):
        return F.linear(z, sd[name + ".weight"], sd[name + ".bias"] if bias else None)

    def bn(v, name):  # eval-mode BatchNorm3d
        return F.batch_norm(v, sd[name + ".running_mean"], sd[name + ".running_var"], sd[name + ".weight"],
                            sd[name + ".bias"], False, 0.0, 1e-5)

    b = x.shape[0]
    side = bn(F.conv3d(x, sd["side_stem.conv.weight"], sd["side_stem.conv.bias"], stride=(1, P, P),
                       padding=(1, 0, 0)), "side_stem.bn")
    h = side.shape[-1]
    s = side.permute(0, 2, 3, 4, 1).reshape(b * t, h * h, side_dim)
    frames = x.transpose(1, 2).reshape(b * t, 3, RES, RES)
    z = F.conv2d(frames, sd["backbone.patch_embed.proj.weight"], sd["backbone.patch_embed.proj.bias"], stride=P)
    z = torch.cat([sd["backbone.cls_token"].expand(b * t, 1, W), z.flatten(2).transpose(1, 2)], 1)
    z = z + sd["backbone.pos_embed"]
    heads = W // 64
    k = 0
    for i in range(L):
        p = f"backbone.blocks.{i}."
        qkv_b = torch.cat([sd[p + "attn.q_bias"], torch.zeros(W), sd[p + "attn.v_bias"]])
        q_, k_, v_ = F.linear(z, sd[p + "attn.qkv.weight"], qkv_b).chunk(3, -1)
        a = lin(mha(q_, k_, v_, heads), p + "attn.proj")
        z = z + F.layer_norm(a, (W,), sd[p + "norm1.weight"], sd[p + "norm1.bias"], 1e-6)
        m = lin(F.gelu(lin(z, p + "mlp.fc1")), p + "mlp.fc2")
        z = z + F.layer_norm(m, (W,), sd[p + "norm2.weight"], sd[p + "norm2.bias"], 1e-6)
        if i % 2 == 0:
            continue
        u = F.layer_norm(lin(z, f"side_projs.{k}.fc"), (side_dim,), sd[f"side_projs.{k}.norm.weight"],
                         sd[f"side_projs.{k}.norm.bias"], eps_side)
        s = 0.5 * s + 0.5 * u[:, 1:]
        q = f"side_blocks.{k}."
        vol = s.reshape(b, t, h, h, side_dim).permute(0, 4, 1, 2, 3)
        c = F.conv3d(vol, sd[q + "conv.pw1.weight"], sd[q + "conv.pw1.bias"])
        c = F.conv3d(c, sd[q + "conv.dw.weight"], sd[q + "conv.dw.bias"], padding=(1, 0, 0), groups=side_dim)
        c = F.conv3d(c, sd[q + "conv.pw2.weight"], sd[q + "conv.pw2.bias"])
        vol = vol + bn(c, q + "bn_1")
        s = vol.permute(0, 2, 3, 4, 1).reshape(b * t, h * h, side_dim)
        cls = u[:, :1].reshape(b, t, side_dim)
        shifted = torch.zeros_like(cls)
        half = side_dim // 2
        shifted[:, :-1, :half] = cls[:, 1:, :half]
        shifted[:, 1:, half:] = cls[:, :-1, half:]
        xt = torch.cat([shifted.reshape(b * t, 1, side_dim), s + sd["side_pos_embed"]], 1)
        att = lin(mha(lin(xt[:, 1:], q + "attn.q_proj"), lin(xt, q + "attn.k_proj"), lin(xt, q + "attn.v_proj"),
                      side_dim // 64), q + "attn.proj")
        s = s + F.layer_norm(att, (side_dim,), sd[q + "ln_1.weight"], sd[q + "ln_1.bias"], 1e-5)
        mm = lin(F.gelu(lin(s, q + "mlp.fc1")), q + "mlp.fc2")
        mm = bn(mm.reshape(b, t, h, h, side_dim).permute(0, 4, 1, 2, 3), q + "bn_2")
        s = s + mm.permute(0, 2, 3, 4, 1).reshape(b * t, h * h, side_dim)
        k += 1
    return s.reshape(b, t * h * h, side_dim).mean(1)


def test_eva_clip_checkpoint_and_forward(tmp_path) -> None:
    torch.save(eva_clip_state(), tmp_path / "EVA02_CLIP_tiny.pt")
    cfg = side4video_cfg(num_classes=6, side_dim=128, crop=RES, frames=4, TOWER="auto",
                         CLIP_WEIGHTS=str(tmp_path / "EVA02_CLIP_tiny.pt"))
    resolve_model_config(cfg)
    s = cfg.SIDE4VIDEO
    assert (s.VARIANT, s.WIDTH, s.DEPTH, s.HEADS, s.PATCH_SIZE, s.MLP_HIDDEN) == ("eva", W, L, 2, P, HID)
    torch.manual_seed(0)
    model = build_model(cfg)
    (rep,) = load_init_checkpoints(cfg, model)
    tower = {"backbone." + k for k in model.backbone.state_dict()}
    assert {k for k in rep.loaded if k.startswith("backbone.")} == tower
    assert {"visual.norm.weight", "visual.head.weight", "text.token_embedding.weight"} <= dict(rep.dropped).keys()
    assert len(model.side_blocks) == 2 and isinstance(model.side_post_bn, torch.nn.Identity)
    # non-trivial BN statistics so eval-mode BN is exercised
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0, 0.1)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
    model.eval()
    x = torch.randn(2, 3, 4, RES, RES, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        feat = model.forward_features(x).flatten(2).mean(-1)
        want = reference_features(model.state_dict(), x, t=4, side_dim=128)
    torch.testing.assert_close(feat, want, rtol=1e-4, atol=1e-5)

    # the project's EVA names (visual.side_blocks/side_lns/side_linears, mlp.0/mlp.2) load back strictly
    orig = {}
    for k, v in model.state_dict().items():
        if k.startswith("backbone."):
            k = "visual." + k[len("backbone."):]
        elif k.startswith("side_stem."):
            k = k.replace("side_stem.conv.", "visual.side_conv1.").replace("side_stem.bn.", "visual.side_pre_bn3d.")
        elif k == "side_pos_embed":
            k = "visual.side_spatial_position_embeddings"
        elif k.startswith("side_projs."):
            _, i, part, leaf = k.split(".")
            k = f"visual.side_{'lns' if part == 'norm' else 'linears'}.{i}.{leaf}"
        elif k.startswith("side_blocks."):
            k = ("visual." + k).replace("conv.pw1", "conv.0").replace("conv.dw", "conv.1")
            k = k.replace("conv.pw2", "conv.2").replace("mlp.fc1", "mlp.0").replace("mlp.fc2", "mlp.2")
        orig[k] = v
    ckpt = save_project_checkpoint(tmp_path / "eva_side4video.pt", orig)
    again = build_model(cfg).eval()
    load_checkpoint(str(ckpt), again, strict=True, checkpoint_type="side4video")
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x), rtol=0, atol=0)

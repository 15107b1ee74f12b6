"""How each family's original code is imported and built, for ``tools/speed_vs_original_families.py``.

The originals are imported at run time from a checkout given on the command line; nothing of them is
copied here. Modules an original imports but its model code does not need are stubbed
(``tools/speed_vs_original.py``'s placeholders), and a package whose ``__init__`` imports unrelated
models with extra dependencies (SV-Mix's ``pytorchvideo.model``: ~30 models, CUDA extensions) is
registered as a bare package so that only the model module asked for is executed.

Each builder returns an :class:`OriginalCall` taking our (B, 3, T, H, W) clip. Its ``call`` is the
original's own forward where that returns logits in both modes; where the original's eval forward
applies softmax (SV-Mix), it is the same path up to the classifier.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.machinery
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn as nn

from tools.speed_vs_original import _Placeholder


class OriginalCall(nn.Module):
    """The original called as ours is: ``forward(x)`` on our (B, 3, T, H, W) clip returns its logits.
    ``to_input`` turns our clip into the original's input; ``call(model, inp)`` runs the original and
    returns its logits (its own forward where that returns logits, else the path its forward takes
    to them: some originals apply softmax in eval)."""

    def __init__(self, model: nn.Module, to_input: Callable[[torch.Tensor], Any],
                 call: Callable[[nn.Module, Any], torch.Tensor]) -> None:
        super().__init__()
        self.model = model
        self._to_input, self._call = to_input, call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._call(self.model, self._to_input(x))


@dataclass
class Family:
    """One pair: how to build the original (from a checkout) and ours at the same size.

    ``build_original(root, size)`` returns an :class:`OriginalCall`; ``ours_cfg``/``ours_opts`` our
    config and its overrides (``{frames}``, ``{crop}``, ``{classes}`` are filled from ``size``);
    ``checkpoint_type`` the adapter that reads the original's files; ``save_as(state)`` the object
    the original's trainer writes around its state dict."""

    name: str
    root_arg: str
    build_original: Callable[[str, dict], OriginalCall]
    ours_cfg: str
    ours_opts: list[str]
    checkpoint_type: str
    size: dict = field(default_factory=dict)
    save_as: Callable[[dict], Any] = lambda sd: sd  # noqa: E731 - the bare state dict


ROOT_ARGS = {
    "svmix_root": "github.com/ty-97/Seletive-Volume-Mix (TSM-R50, UniFormer-S, Video Swin-S, ViViT-S)",
    "ibm_root": "github.com/IBM/action-recognition-pytorch (I3D, TAM)",
    "h2cn_root": "github.com/ty-97/H2CN",
    "side4video_root": "github.com/HJYao00/Side4Video (B/16; a random CLIP tower)",
}


def stub_module(name: str, **attrs) -> None:
    """Registers ``name`` (when it cannot be imported) as a placeholder module with ``attrs``."""
    try:
        importlib.import_module(name)
        return
    except Exception:  # noqa: BLE001 - any import failure: the model code does not need it
        pass
    mod = _Placeholder(name)
    mod.__spec__ = importlib.machinery.ModuleSpec(name, None)
    mod.__path__ = []
    for k, v in attrs.items():
        setattr(mod, k, v)
    sys.modules[name] = mod


def bare_package(name: str, path: str) -> None:
    """``name`` as a package of the folder ``path`` whose ``__init__`` is not run."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path}: not a folder (package {name} of the original checkout)")
    if name in sys.modules and getattr(sys.modules[name], "__path__", None) == [path]:
        return
    mod = types.ModuleType(name)
    mod.__path__ = [path]
    mod.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    sys.modules[name] = mod


def import_from(root: str, module: str, marker: str) -> types.ModuleType:
    """Imports ``module`` with ``root`` first on ``sys.path``; ``marker`` (a file under ``root``)
    confirms that ``root`` is the expected checkout."""
    root = os.path.abspath(root)
    if not os.path.isfile(os.path.join(root, marker)):
        raise FileNotFoundError(f"{root}: no {marker} (not the expected checkout of the original)")
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module(module)


# ---- SV-Mix (ty-97/Seletive-Volume-Mix, sub-project SV-Mix/) ----

def _svmix(root: str, module: str) -> types.ModuleType:
    base = os.path.join(os.path.abspath(root), "SV-Mix")
    # its config decorator checks isinstance(cfg, omegaconf.DictConfig): any class will do
    stub_module("omegaconf", DictConfig=type("DictConfig", (), {}))
    import_from(base, "pytorchvideo", os.path.join("pytorchvideo", "model", "base_net.py"))
    bare_package("pytorchvideo.model", os.path.join(base, "pytorchvideo", "model"))
    return importlib.import_module(f"pytorchvideo.model.{module}")


def _svmix_tsm(root: str, size: dict) -> OriginalCall:
    m = _svmix(root, "tsm_resnet")
    t = size["frames"]
    # experiments/ssv1_tsm.yaml: ARCH_CFGS [avg, 8, blockres], dropout 0.5 (built with the constructor:
    # the shipped from_config adds a drop_path_rate TSM_ResNet does not take)
    model = m.TSM_ResNet(block=m.Bottleneck, layers=[3, 4, 6, 3], shift_div=8, num_segments=t,
                         num_classes=size["classes"], dropout_ratio=0.5)
    return OriginalCall(model, lambda x: x.transpose(1, 2).reshape(x.shape[0], -1, *x.shape[3:]),
                        lambda net, x: net._forward_impl(x, 7)[0])  # forward minus the eval softmax


def _svmix_uniformer(root: str, size: dict) -> OriginalCall:
    m = _svmix(root, "Uniformer")
    model = m.Uniformer(**m.Uniformer._arch_dict["uniformer_s"], num_classes=size["classes"],
                        img_size=size["crop"], drop_path_rate=0.0)
    # its forward prints the feature-map shape on every call; the rest of it is this
    return OriginalCall(model, lambda x: x, lambda net, x: net.head(net.forward_features(x).flatten(2).mean(-1)))


def _svmix_swin(root: str, size: dict) -> OriginalCall:
    m = _svmix(root, "video_swin")
    arch = dict(m.VIDEO_SWIN._arch_dict["video_swin_vit_s_p4_w7"], drop_path_rate=0.0)
    model = m.VIDEO_SWIN(**arch, img_size=size["crop"], num_classes=size["classes"])
    return OriginalCall(model, lambda x: x, lambda net, x: net.fc(net.forward_features(x, None)[0]))


def _svmix_vivit(root: str, size: dict) -> OriginalCall:
    m = _svmix(root, "vivit")
    model = m.Vivit(img_size=size["crop"], num_segments=size["frames"], patch_size=16, embed_dim=384, depth=12,
                    num_heads=6, num_classes=size["classes"], drop_path_rate=0.0)

    def call(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        feats, _ = net.forward_features(x.transpose(1, 2).reshape(b * t, c, h, w), t, None)
        return net.fc(net.drop(feats)).view(b, -1)

    return OriginalCall(model, lambda x: x, call)


def _svmix_save(sd: dict) -> dict:
    return {"model": {f"module.{k}": v for k, v in sd.items()}, "iteration": 0}  # its trainer's DDP file


# ---- IBM/action-recognition-pytorch (package ``models``) ----

def _frames_on_channels(x: torch.Tensor) -> torch.Tensor:
    """Our (B, 3, T, H, W) -> (B, T*3, H, W), frame-major (the 2D CNN originals' input)."""
    return x.transpose(1, 2).reshape(x.shape[0], -1, *x.shape[3:])


def _ibm_tam(root: str, size: dict) -> OriginalCall:
    m = import_from(root, "models.twod_models.resnet", os.path.join("models", "model_builder.py"))
    # configs/cnn/ssv2/tam_r50_f8.yaml: dw conv, 3 blending frames, sum, no temporal stride; random init
    model = m.resnet(depth=50, num_classes=size["classes"], without_t_stride=True, groups=size["frames"],
                     temporal_module_name="TAM", dw_conv=True, blending_frames=3, blending_method="sum",
                     dropout=0.5, pooling_method="max", imagenet_pretrained=False)
    return OriginalCall(model, _frames_on_channels, lambda net, x: net(x))


def _ibm_i3d(root: str, size: dict) -> OriginalCall:
    m = import_from(root, "models.threed_models.i3d_resnet", os.path.join("models", "model_builder.py"))
    # the class, not its builder function (which always downloads ImageNet weights to inflate)
    model = m.I3D_ResNet(50, num_classes=size["classes"], dropout=0.5, without_t_stride=True)
    return OriginalCall(model, lambda x: x, lambda net, x: net(x))


def _ibm_save(sd: dict) -> dict:
    return {"epoch": 1, "state_dict": {f"module.{k}": v for k, v in sd.items()}}  # its train.py's DataParallel file


# ---- H2CN (ty-97/H2CN: ``ops.models_tsn.VideoNet`` with net H2CN) ----

def _h2cn(root: str, size: dict) -> OriginalCall:
    m = import_from(root, "ops.models_tsn", os.path.join("nets", "h2cn_model.py"))
    # VideoNet calls h2cn(num_segments), whose default downloads ImageNet weights: random init here
    if not isinstance(m.h2cn, functools.partial):
        m.h2cn = functools.partial(m.h2cn, pretrained=False)
    # partial_bn off: its default freezes every BatchNorm but the first in train mode, which our
    # port does not do; timing that would compare two different training steps
    model = m.VideoNet(size["classes"], size["frames"], "RGB", backbone="resnet50", net="H2CN", dropout=0.5,
                       partial_bn=False, pretrain=None)
    return OriginalCall(model, _frames_on_channels, _h2cn_call)


@contextlib.contextmanager
def cuda_is_identity():
    """Originals written for one GPU call ``.cuda()`` inside their code (H2CN's temporal padding,
    SV-Mix's permutations, its selector and its data dict); on a CPU run those calls must leave the
    tensor or module where it is (the original's code itself is not changed)."""
    tensor_cuda, module_cuda = torch.Tensor.cuda, nn.Module.cuda
    torch.Tensor.cuda = lambda self, *a, **k: self
    nn.Module.cuda = lambda self, *a, **k: self
    try:
        yield
    finally:
        torch.Tensor.cuda, nn.Module.cuda = tensor_cuda, module_cuda


def _h2cn_call(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    if x.is_cuda:
        return net(x)
    with cuda_is_identity():
        return net(x)


# ---- Side4Video (HJYao00/Side4Video, folder Recognition/: clip/model.py, train_vision.py's VideoCLIP) ----

def openai_clip_vit_state(width: int = 768, layers: int = 12, patch: int = 16, res: int = 224, embed: int = 512,
                          text_width: int = 512, text_layers: int = 12, ctx: int = 77, vocab: int = 49408,
                          seed: int = 0) -> dict[str, torch.Tensor]:
    """A random OpenAI-layout CLIP ViT state dict (no download: the speed does not depend on the values;
    the text tower, which the original builds and then discards, is zeros)."""
    g = torch.Generator().manual_seed(seed)

    def r(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g) * shape[-1] ** -0.5

    sd = {"visual.conv1.weight": r(width, 3, patch, patch), "visual.class_embedding": r(width),
          "visual.positional_embedding": r((res // patch) ** 2 + 1, width), "visual.proj": r(width, embed),
          "token_embedding.weight": torch.zeros(vocab, text_width),
          "positional_embedding": torch.zeros(ctx, text_width),
          "text_projection": torch.zeros(text_width, embed), "logit_scale": torch.tensor(4.6)}
    for pre, w in (("visual.ln_pre", width), ("visual.ln_post", width), ("ln_final", text_width)):
        sd[f"{pre}.weight"], sd[f"{pre}.bias"] = 1 + 0.1 * r(w), 0.1 * r(w)
    for tower, w, n in (("visual.transformer", width, layers), ("transformer", text_width, text_layers)):
        make = r if tower.startswith("visual") else (lambda *s: torch.zeros(*s))
        for i in range(n):
            b = f"{tower}.resblocks.{i}"
            sd.update({f"{b}.attn.in_proj_weight": make(3 * w, w), f"{b}.attn.in_proj_bias": 0.1 * make(3 * w),
                       f"{b}.attn.out_proj.weight": make(w, w), f"{b}.attn.out_proj.bias": 0.1 * make(w),
                       f"{b}.ln_1.weight": 1 + 0.1 * make(w), f"{b}.ln_1.bias": 0.1 * make(w),
                       f"{b}.mlp.c_fc.weight": make(4 * w, w), f"{b}.mlp.c_fc.bias": 0.1 * make(4 * w),
                       f"{b}.mlp.c_proj.weight": make(w, 4 * w), f"{b}.mlp.c_proj.bias": 0.1 * make(w),
                       f"{b}.ln_2.weight": 1 + 0.1 * make(w), f"{b}.ln_2.bias": 0.1 * make(w)})
    return sd


def _side4video(root: str, size: dict) -> OriginalCall:
    import packaging.version

    # imported by its trainer / loader but not used by the model code
    stub_module("pkg_resources", packaging=packaging)
    for name in ("ftfy", "regex", "dotmap", "RandAugment", "torchnet", "torchnet.meter"):
        stub_module(name)
    tv = import_from(os.path.join(root, "Recognition"), "train_vision", "clip/model.py")
    clip_model = importlib.import_module("clip.model")
    sd = openai_clip_vit_state(res=size["crop"])
    # clip.load's body after the file read (jit=False, no internal temporal modeling), then .float()
    model = clip_model.build_model(dict(sd), tm=False, T=size["frames"], dropout=0.0, joint=False, emb_dropout=0.0,
                                   pretrain=True, side_dim=320).float()
    head = importlib.import_module("modules.video_clip").video_header("None", sd)
    config = types.SimpleNamespace(data=types.SimpleNamespace(num_segments=size["frames"], num_classes=size["classes"]),
                                   network=types.SimpleNamespace(drop_fc=0.0, n_emb=320))
    net = tv.VideoCLIP(model, head, config)
    for name, p in net.named_parameters():  # its trainer's my_fix_clip: only the side network and the head train
        p.requires_grad = not (("visual" in name and "side" not in name and "ln_post" not in name
                                and "visual.proj" not in name) or "logit_scale" in name)
    return OriginalCall(net, lambda x: x.transpose(1, 2).reshape(-1, *x.shape[1:2], *x.shape[3:]),
                        lambda m, x: m(x))


def _side4video_save(sd: dict) -> dict:
    return {"epoch": 0, "model_state_dict": {f"module.{k}": v for k, v in sd.items()}, "optimizer_state_dict": {}}


_SSV2 = {"frames": 8, "crop": 224, "classes": 174}

FAMILIES: dict[str, Family] = {
    "tsm_r50": Family("tsm_r50", "svmix_root", _svmix_tsm, "configs/svmix/ssv2/tsm_r50.yaml",
                      ["CNN.IMAGENET_WEIGHTS", "", "DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE", "{crop}",
                       "DATA.TEST_CROP_SIZE", "{crop}", "MODEL.NUM_CLASSES", "{classes}"],
                      "svmix", dict(_SSV2), _svmix_save),
    "uniformer_s": Family("uniformer_s", "svmix_root", _svmix_uniformer, "configs/svmix/ssv2/uniformer_s.yaml",
                          ["UNIFORMER.DROPPATH_RATE", "0.0", "DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE",
                           "{crop}", "DATA.TEST_CROP_SIZE", "{crop}", "MODEL.NUM_CLASSES", "{classes}"],
                          "svmix", dict(_SSV2), _svmix_save),
    "swin_s": Family("swin_s", "svmix_root", _svmix_swin, "configs/swin/ssv2_swin_s_447.yaml",
                     ["SWIN.DROPPATH_RATE", "0.0", "DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE", "{crop}",
                      "DATA.TEST_CROP_SIZE", "{crop}", "MODEL.NUM_CLASSES", "{classes}"],
                     "svmix", dict(_SSV2), _svmix_save),
    # ViViT-S: the original's patch embedding reshapes with a literal 16 frames
    "vivit_s": Family("vivit_s", "svmix_root", _svmix_vivit, "configs/vivit/ssv2_vivit_s.yaml",
                      ["VIVIT.DROPPATH_RATE", "0.0", "DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE", "{crop}",
                       "DATA.TEST_CROP_SIZE", "{crop}", "MODEL.NUM_CLASSES", "{classes}"],
                      "svmix", {**_SSV2, "frames": 16}, _svmix_save),
    "tam_r50": Family("tam_r50", "ibm_root", _ibm_tam, "configs/cnn/ssv2/tam_r50_f8.yaml",
                      ["DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE", "{crop}", "DATA.TEST_CROP_SIZE", "{crop}",
                       "MODEL.NUM_CLASSES", "{classes}"], "ibm", dict(_SSV2), _ibm_save),
    "i3d_r50": Family("i3d_r50", "ibm_root", _ibm_i3d, "configs/cnn/ssv2/i3d_r50_f8.yaml",
                      ["DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE", "{crop}", "DATA.TEST_CROP_SIZE", "{crop}",
                       "MODEL.NUM_CLASSES", "{classes}"], "ibm", dict(_SSV2), _ibm_save),
    # H2CN: 8 segments of 5 consecutive frames (40 frames a clip)
    "h2cn_r50": Family("h2cn_r50", "h2cn_root", _h2cn, "configs/cnn/ssv2/h2cn_r50_f8.yaml",
                       ["DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE", "{crop}", "DATA.TEST_CROP_SIZE",
                        "{crop}", "MODEL.NUM_CLASSES", "{classes}"], "h2cn", dict(_SSV2), _ibm_save),
    # Side4Video B/16: a random CLIP ViT-B/16 tower (no download), 320-d side network
    "side4video_b16": Family("side4video_b16", "side4video_root", _side4video,
                             "configs/side4video/ssv2/vit_b16_f8.yaml",
                             ["SIDE4VIDEO.CLIP_WEIGHTS", "", "DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE",
                              "{crop}", "DATA.TEST_CROP_SIZE", "{crop}", "MODEL.NUM_CLASSES", "{classes}"],
                             "side4video", dict(_SSV2), _side4video_save),
}

"""ImageNet initialisation, partial BN, the ``tsm`` adapter and the 2D configs."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
import torchvision

from svit.checkpoint import CheckpointError, LoadReport, load_checkpoint
from svit.config import get_cfg, load_config
from svit.models import build_model
from svit.models.adapters import ADAPTER_REGISTRY
from svit.models.cnn.inception2d import InceptionV1Video
from svit.models.cnn.resnet2d import ResNet2dVideo
from svit.models.cnn.temporal_modules2d import TemporalModuleSpec
from svit.models.prepare import load_init_checkpoints

REPO = Path(__file__).resolve().parents[2]


def test_imagenet_init_resnet18(tmp_path: Path) -> None:
    torch.manual_seed(0)
    ref = torchvision.models.resnet18(weights=None)
    path = tmp_path / "resnet18.pth"
    torch.save(ref.state_dict(), path)
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.MODEL.NUM_CLASSES = "TAM", 5
    cfg.CNN.BACKBONE, cfg.CNN.DEPTH, cfg.DATA.NUM_FRAMES = "resnet", 18, 4
    cfg.CNN.IMAGENET_WEIGHTS = str(path)
    model = build_model(cfg)  # building reads nothing: the init is the trainer's first load
    assert not torch.equal(model.conv1.weight, ref.conv1.weight)
    (report,) = load_init_checkpoints(cfg, model)
    ours, theirs = model.state_dict(), ref.state_dict()
    for k, v in theirs.items():
        if not k.startswith("fc."):
            assert torch.equal(ours[k], v), k
    assert ours["fc.weight"].shape == (5, 512)
    assert report.path == str(path) and report.dropped == [("fc.weight", "ImageNet classifier"),
                                                           ("fc.bias", "ImageNet classifier")]
    assert report.unexpected == [] and report.skipped == []
    assert set(report.missing) == {k for k in ours if ".tam." in k} | {"fc.weight", "fc.bias"}
    # A ResNet of another depth is refused instead of being half-loaded.
    torch.save(torchvision.models.resnet50(weights=None).state_dict(), tmp_path / "r50.pth")
    with pytest.raises(CheckpointError, match="r50.pth.*conv1.weight|r50.pth.*layer1.0.conv1.weight"):
        load_checkpoint(str(tmp_path / "r50.pth"), ResNet2dVideo(18, 4, 5), checkpoint_type="imagenet")


def test_imagenet_init_googlenet_skips_aux(tmp_path: Path) -> None:
    ref = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=True)
    path = tmp_path / "googlenet.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in ref.state_dict().items()}}, path)
    model = InceptionV1Video(4, 7)
    report = load_checkpoint(str(path), model, checkpoint_type="imagenet")
    assert report.unexpected == [] and set(report.missing) == {"fc.weight", "fc.bias"}
    assert {k.split(".")[0] for k, _ in report.dropped} == {"aux1", "aux2", "fc"}
    assert torch.equal(model.inception4e.branch3[1].conv.weight, ref.inception4e.branch3[1].conv.weight)


def _bns(model: torch.nn.Module) -> list[torch.nn.BatchNorm2d]:
    return [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]


def test_partial_bn() -> None:
    torch.manual_seed(0)
    model = ResNet2dVideo(18, 2, 3, partial_bn=True)
    model.train()
    bns = _bns(model)
    assert bns[0] is model.bn1 and bns[0].training and bns[0].weight.requires_grad
    assert all(not m.training and not m.weight.requires_grad and not m.bias.requires_grad for m in bns[1:])
    before = [m.running_mean.clone() for m in bns]
    out = model(torch.randn(2, 3, 2, 32, 32))
    out.sum().backward()
    assert not torch.equal(bns[0].running_mean, before[0])
    assert all(torch.equal(m.running_mean, b) for m, b in zip(bns[1:], before[1:]))
    assert bns[0].weight.grad is not None and bns[1].weight.grad is None
    # eval()/train() cycles re-apply the freeze; without partial BN everything trains.
    model.eval()
    model.train()
    assert not bns[1].training
    full = ResNet2dVideo(18, 2, 3, partial_bn=False).train()
    assert all(m.training and m.weight.requires_grad for m in _bns(full))


def test_partial_bn_from_config() -> None:
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.CNN.BACKBONE, cfg.CNN.PARTIAL_BN = "TSN", "inception_v1", True
    model = build_model(cfg).train()
    bns = _bns(model)
    assert bns[0] is model.conv1.bn and bns[0].training
    assert not any(m.training for m in bns[1:])


def test_tsm_adapter_renames_tsm_checkpoint() -> None:
    model = ResNet2dVideo(18, 4, 6, temporal=TemporalModuleSpec("TSM"))
    ours = model.state_dict()
    tsm_style = {}
    for k, v in ours.items():
        if k.startswith("fc."):
            name = "module.new_fc." + k[3:]
        else:
            name = "module.base_model." + k
            if k.startswith("layer") and ".conv1." in k:
                name = name.replace(".conv1.", ".conv1.net.")
        tsm_style[name] = v.clone() + 1
    adapted = ADAPTER_REGISTRY.get("tsm")({"state_dict": tsm_style, "best_prec1": 1.0}, model, LoadReport("tsm.pth"))
    assert set(adapted) == set(ours)
    model.load_state_dict(adapted, strict=True)
    assert torch.equal(model.layer2[0].conv1.weight, tsm_style["module.base_model.layer2.0.conv1.net.weight"])
    assert torch.equal(model.fc.bias, tsm_style["module.new_fc.bias"])


def test_ibm2d_reads_temporal_module() -> None:
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.CNN.TEMPORAL_MODULE, cfg.CNN.DEPTH = "IBM2D", "TAM", 18
    cfg.CNN.TAM_DW_CONV, cfg.CNN.TAM_BLENDING_METHOD = False, "max"
    tam = build_model(cfg).layer1[0].tam
    assert tam.blending_method == "max" and tam.prev_se.fc1.weight.shape == (64, 64, 1, 1)
    cfg.CNN.BACKBONE, cfg.MODEL.MODEL_NAME = "inception_v1", "TSM"
    with pytest.raises(ValueError, match="ResNets only"):
        build_model(cfg)


# sha256 of the class lists as the spec ships them (shared/spec/mini_*_classes.txt).
MINI_CLASS_LIST_SHA256 = {
    "mini_ssv2_classes.txt": "d316a175850183e622fbcf84cd01835e2baf123f3f456b2848a22f352deb897b",
    "mini_kinetics400_classes.txt": "599673b4f44d05eb42f41839356982f063d5c6f68c27ad3c34ee29ce8a4104c9",
}


def test_resources_and_mini_configs() -> None:
    for name, n in (("mini_ssv2_classes.txt", 87), ("mini_kinetics400_classes.txt", 200)):
        raw = (REPO / "svit" / "resources" / name).read_bytes()
        assert len(raw.decode().splitlines()) == n
        assert hashlib.sha256(raw).hexdigest() == MINI_CLASS_LIST_SHA256[name]
    cfg = load_config(str(REPO / "configs/cnn/mini_ssv2/tam_r50_f8.yaml"))
    assert (cfg.MODEL.NUM_CLASSES, cfg.LIST_DATA.NUM_CLASSES, cfg.DATA.NUM_FRAMES) == (87, 87, 8)
    assert cfg.LIST_DATA.FLIP_SWAP_PAIRS == [] and cfg.CNN.WITHOUT_T_STRIDE
    k = load_config(str(REPO / "configs/cnn/k400/tsn_inception_f32.yaml"))
    assert (k.DATA.SAMPLING, k.DATA.NUM_FRAMES, k.DATA.SAMPLING_RATE, k.DATA.MEAN) == ("dense", 32, 2, [0.5] * 3)
    assert k.SOLVER.LR_POLICY == "steps_with_relative_lrs" and k.SOLVER.MAX_EPOCH == 45


def test_mini_ssv2_has_no_complete_flip_pairs() -> None:
    """Each SSv2 left/right class in the mini list lacks its mirror class, so no swap pairs."""
    names = (REPO / "svit" / "resources" / "mini_ssv2_classes.txt").read_text().splitlines()
    mirrored = {n.replace("left", "@").replace("right", "left").replace("@", "right") for n in names}
    pairs = [n for n in names if ("left" in n or "right" in n) and n in mirrored]
    assert pairs == []


@pytest.mark.parametrize("name", ["tsn", "tsm", "tam"])
def test_synthetic_configs_build_and_run(name: str) -> None:
    cfg = load_config(str(REPO / f"configs/synthetic/{name}_tiny.yaml"))
    assert cfg.TRAIN.DATASET == cfg.TEST.DATASET == "synthetic_ssv2" and cfg.NUM_GPUS == 0
    model = build_model(cfg).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, cfg.DATA.NUM_FRAMES, 64, 64))
    assert out.shape == (1, cfg.MODEL.NUM_CLASSES)

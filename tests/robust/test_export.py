"""tools/export.py: TorchScript and ONNX exports of a CNN family and MViT reproduce PyTorch's logits."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

from svit.checkpoint import save_checkpoint
from svit.config import load_config
from svit.models import build_model
from svit.utils.export import ExportError, example_input, export_model

REPO = Path(__file__).resolve().parents[2]
TSN = str(REPO / "configs" / "synthetic" / "tsn_tiny.yaml")
MVIT = str(REPO / "configs" / "synthetic" / "mvit_tiny.yaml")
SMALL = {TSN: ["DATA.NUM_FRAMES", "2", "DATA.TEST_CROP_SIZE", "32"], MVIT: ["DATA.NUM_FRAMES", "4",
                                                                          "DATA.TEST_CROP_SIZE", "32"]}


def _model(cfg_file):
    cfg = load_config(cfg_file, SMALL[cfg_file])
    torch.manual_seed(0)
    return cfg, build_model(cfg).eval()


@pytest.mark.parametrize("cfg_file", [TSN, MVIT], ids=["tsn", "mvit"])
def test_torchscript_matches_pytorch(cfg_file, tmp_path):
    cfg, model = _model(cfg_file)
    x = example_input(cfg, 2)
    (res,) = export_model(model, x, str(tmp_path), "m", ["torchscript"])
    assert res.max_abs_diff < 1e-5 and res.input_shape == [2, 3, cfg.DATA.NUM_FRAMES, 32, 32]
    loaded = torch.jit.load(res.path)
    other = example_input(cfg, 2, seed=1)  # the file itself, on a clip it was not traced with
    with torch.no_grad():
        want = model(other)
        want = want["logits"] if isinstance(want, dict) else want
        torch.testing.assert_close(loaded(other), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cfg_file", [TSN, MVIT], ids=["tsn", "mvit"])
def test_onnx_matches_pytorch_with_onnxruntime(cfg_file, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    cfg, model = _model(cfg_file)
    (res,) = export_model(model, example_input(cfg, 1), str(tmp_path), "m", ["onnx"])
    assert res.max_abs_diff < 1e-4
    session = ort.InferenceSession(res.path, providers=["CPUExecutionProvider"])
    other = example_input(cfg, 1, seed=1)
    (got,) = session.run(None, {"clip": other.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(got), model(other), rtol=1e-4, atol=1e-4)


def test_cli_exports_checkpoint_weights(tmp_path, capsys):
    cfg, model = _model(MVIT)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)  # weights that differ from a fresh build
    ckpt = save_checkpoint(str(tmp_path / "w.pyth"), model, 1)
    spec = importlib.util.spec_from_file_location("export_tool", REPO / "tools" / "export.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    code = tool.main(["--cfg", MVIT, "--checkpoint", ckpt, "--out", str(tmp_path / "x"), "--formats", "torchscript",
                      "--json", *SMALL[MVIT]])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    path = report["exports"][0]["path"]
    x = example_input(cfg, 1, seed=3)
    with torch.no_grad():
        want = model(x)
        torch.testing.assert_close(torch.jit.load(path)(x), want["logits"] if isinstance(want, dict) else want)


def test_unknown_format_is_an_error(tmp_path):
    cfg, model = _model(TSN)
    with pytest.raises(ExportError, match="unknown export format"):
        export_model(model, example_input(cfg), str(tmp_path), "m", ["tflite"])

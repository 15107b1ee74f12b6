"""tools/model_info.py on a model registered here, and the launcher's error exits."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import torch
import torch.nn as nn

from svit.models.registry import MODEL_REGISTRY
from svit.utils.flops import count_params, gflops

REPO = Path(__file__).resolve().parents[2]


class DictNet(nn.Module):
    """Linear classifier on pooled input returning a dict (like SViT)."""

    def __init__(self, cfg):
        super().__init__()
        self.fc = nn.Linear(cfg.DATA.NUM_FRAMES * 3, cfg.MODEL.NUM_CLASSES)
        self.frozen = nn.Parameter(torch.zeros(5), requires_grad=False)

    def forward(self, x):
        h = x.mean(dim=(-1, -2)).flatten(1)
        return {"logits": self.fc(h), "aux": h}


if "TestDictNet" not in MODEL_REGISTRY:
    MODEL_REGISTRY.register("TestDictNet")(DictNet)


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_model_info_json(tmp_path, capsys):
    cfg = tmp_path / "m.yaml"
    cfg.write_text("MODEL:\n  MODEL_NAME: TestDictNet\n  NUM_CLASSES: 10\n")
    rc = _tool("model_info").main(["--cfg", str(cfg), "DATA.NUM_FRAMES", "4", "DATA.TEST_CROP_SIZE", "8", "--json"])
    assert rc == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["params"] == 12 * 10 + 10 + 5 and info["trainable_params"] == 130
    assert abs(info["gflops"] * 1e9 - 120) < 1e-6  # the fc (fvcore skips the mean, silently)


def test_count_params_and_flops_of_plain_tensor_model():
    m = nn.Linear(6, 2)
    assert count_params(m) == (14, 14)
    assert gflops(m, torch.zeros(1, 6)) * 1e9 == 12


def test_run_net_config_errors_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("SOLVER:\n  BASE_LR: fast\n")
    for args in (["--cfg", str(tmp_path / "missing.yaml")], ["--cfg", str(bad), "--opts", "X", "1"]):
        p = subprocess.run([sys.executable, str(REPO / "tools" / "run_net.py"), *args],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert p.returncode == 2, p.stderr
        assert "Config error" in p.stderr and "Traceback" not in p.stderr

"""tools/model_zoo.py: MODEL_ZOO.md generated from the configs; --check catches drift and broken configs."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import model_zoo  # noqa: E402


def _setup(tmp_path: Path) -> tuple[Path, list[str]]:
    configs = tmp_path / "configs"
    (configs / "datasets").mkdir(parents=True)
    (configs / "tiny").mkdir()
    shutil.copy(REPO / "configs" / "datasets" / "ucf101.yaml", configs / "datasets" / "ucf101.yaml")
    tiny = yaml.safe_load((REPO / "configs" / "synthetic" / "tsn_tiny.yaml").read_text())
    tiny["DATA"]["NUM_FRAMES"] = 2
    tiny["DATA"]["TEST_CROP_SIZE"] = 32
    (configs / "tiny" / "tsn_synthetic.yaml").write_text(yaml.safe_dump(tiny))
    on_ucf = {k: v for k, v in tiny.items() if k not in ("TRAIN", "TEST", "OUTPUT_DIR")}
    on_ucf["MODEL"] = {k: v for k, v in tiny["MODEL"].items() if k != "NUM_CLASSES"}
    on_ucf["_BASE_"] = "../datasets/ucf101.yaml"
    (configs / "tiny" / "tsn_ucf.yaml").write_text(yaml.safe_dump(on_ucf))
    (configs / "tiny" / "_base.yaml").write_text("MODEL:\n  NUM_CLASSES: 3\n")  # a base file: not a row
    (configs / "model_zoo_meta.yaml").write_text(yaml.safe_dump(
        {"tiny/tsn_ucf.yaml": {"paper": 95.1, "source": "a paper, Table 2", "weights": "tsn_ucf.pyth"}}))
    args = ["--configs", str(configs), "--out", str(tmp_path / "MODEL_ZOO.md"), "--cache", str(tmp_path / "flops.json")]
    return configs, args


def test_generate_then_check_then_drift(tmp_path) -> None:
    configs, args = _setup(tmp_path)
    assert model_zoo.main(args) == 0
    text = (tmp_path / "MODEL_ZOO.md").read_text()
    rows = [line.strip("| ") for line in text.splitlines() if line.startswith("| [")]
    assert len(rows) == 2
    ucf = next(r for r in rows if "tsn_ucf" in r).split(" | ")
    assert ucf[1:4] == ["TSN", "ucf101", "2 x 3 x 1"]  # the views of the defaults (3 crops, 1 clip)
    assert ucf[6:9] == ["95.1", "a paper, Table 2", "`tsn_ucf.pyth`"]
    synth = next(r for r in rows if "tsn_synthetic" in r).split(" | ")
    assert synth[2] == "synthetic_ssv2 (12 classes)" and synth[3] == "2 x 1 x 1"
    params = float(synth[4])
    assert 11.0 < params < 11.4  # ResNet-18 (11.2 M) with a 12-class head
    assert synth[5].endswith(" †")  # counted on the meta device (the default)
    meta_gflops = float(synth[5].split()[0])
    assert meta_gflops > 0
    cache = json.loads((tmp_path / "flops.json").read_text())
    assert len(cache) == 2 and all(e["method"] == "meta" for e in cache.values())
    # --fvcore replaces the meta counts with fvcore's CPU trace; both count multiply-adds
    assert model_zoo.main(args + ["--fvcore"]) == 0
    cache = json.loads((tmp_path / "flops.json").read_text())
    assert all(e["method"] == "fvcore" for e in cache.values())
    fv = [e["gflops"] for e in cache.values()]
    assert all(abs(g - meta_gflops) / meta_gflops < 0.05 for g in fv), (fv, meta_gflops)
    assert "†" not in (tmp_path / "MODEL_ZOO.md").read_text().split("| config")[1]

    assert model_zoo.main(args + ["--check"]) == 0  # up to date: no FLOPs counted, same text

    # a changed model: the file is out of date until regenerated
    cfg = yaml.safe_load((configs / "tiny" / "tsn_synthetic.yaml").read_text())
    cfg["CNN"]["DEPTH"] = 34
    (configs / "tiny" / "tsn_synthetic.yaml").write_text(yaml.safe_dump(cfg))
    assert model_zoo.main(args + ["--check"]) == 1
    assert model_zoo.main(args) == 0
    assert model_zoo.main(args + ["--check"]) == 0
    assert float(next(r.strip("| ") for r in (tmp_path / "MODEL_ZOO.md").read_text().splitlines()
                      if "tsn_synthetic" in r).split(" | ")[4]) > 21

    # a config that no longer builds fails the check, naming the file
    cfg["MODEL"]["MODEL_NAME"] = "NoSuchModel"
    (configs / "tiny" / "tsn_synthetic.yaml").write_text(yaml.safe_dump(cfg))
    assert model_zoo.main(args + ["--check"]) == 1


def test_meta_entry_for_a_missing_config_is_an_error(tmp_path, capsys) -> None:
    configs, args = _setup(tmp_path)
    (configs / "model_zoo_meta.yaml").write_text(yaml.safe_dump({"tiny/gone.yaml": {"paper": 1}}))
    assert model_zoo.main(args + ["--no-flops"]) == 1
    assert "tiny/gone.yaml" in capsys.readouterr().err

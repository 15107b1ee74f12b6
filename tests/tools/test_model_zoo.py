"""tools/model_zoo.py: MODEL_ZOO.md generated from the configs; --check catches drift and broken configs."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch
import torch.nn as nn
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import model_zoo  # noqa: E402

from svit.models.registry import MODEL_REGISTRY  # noqa: E402


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
        {"tiny/tsn_ucf.yaml": {"paper": 95.1, "source": "a paper, Table 2", "weights": "tsn_ucf.pyth",
                                "gflops": 0.05, "gflops_source": "Table 3"}}))
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
    assert ucf[6:10] == ["0.05 (Table 3)", "95.1", "a paper, Table 2", "`tsn_ucf.pyth`"]
    synth = next(r for r in rows if "tsn_synthetic" in r).split(" | ")
    assert synth[2] == "synthetic_ssv2 (12 classes)" and synth[3] == "2 x 1 x 1"
    params = float(synth[4])
    assert 11.0 < params < 11.4  # ResNet-18 (11.2 M) with a 12-class head
    assert not synth[5].endswith(" †")  # fvcore (the default): no counter named in the file
    fv_gflops = float(synth[5])
    assert fv_gflops > 0
    assert "†" not in text
    cache = json.loads((tmp_path / "flops.json").read_text())
    assert len(cache) == 2 and all(e["method"] == "fvcore" for e in cache.values())

    # --meta: torch's flop counter on the meta device, marked; the legend says what the mark means
    (tmp_path / "flops.json").unlink()
    assert model_zoo.main(args + ["--meta"]) == 0
    text = (tmp_path / "MODEL_ZOO.md").read_text()
    assert "Marked †" in text
    meta_row = next(r.strip("| ") for r in text.splitlines() if "tsn_synthetic" in r).split(" | ")
    assert meta_row[5].endswith(" †")
    meta_gflops = float(meta_row[5].split()[0])
    # both count multiply-adds; fvcore adds the batch norms
    assert fv_gflops >= meta_gflops and (fv_gflops - meta_gflops) / meta_gflops < 0.05, (fv_gflops, meta_gflops)
    # a plain run replaces the meta counts with fvcore's; the mark and its legend go
    assert model_zoo.main(args) == 0
    cache = json.loads((tmp_path / "flops.json").read_text())
    assert all(e["method"] == "fvcore" for e in cache.values())
    assert "†" not in (tmp_path / "MODEL_ZOO.md").read_text()

    assert model_zoo.main(args + ["--check"]) == 0  # up to date: no FLOPs counted, same text

    # a changed model: the file is out of date until regenerated
    cfg = yaml.safe_load((configs / "tiny" / "tsn_synthetic.yaml").read_text())
    cfg["CNN"]["DEPTH"] = 34
    (configs / "tiny" / "tsn_synthetic.yaml").write_text(yaml.safe_dump(cfg))
    assert model_zoo.main(args + ["--check"]) == 1
    assert model_zoo.main(args) == 0
    assert model_zoo.main(args + ["--check"]) == 0
    assert len(json.loads((tmp_path / "flops.json").read_text())) == 2  # the ResNet-18 count was dropped
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


class CumprodHead(nn.Module):
    """A model whose head uses an op no FLOP handle covers (``aten::cumprod``)."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(3, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumprod(self.fc(x.mean(dim=(2, 3, 4))), dim=-1)


@MODEL_REGISTRY.register("ZooCumprodHead")
def _build_cumprod_head(cfg) -> CumprodHead:
    return CumprodHead(cfg.MODEL.NUM_CLASSES)


def test_an_op_fvcore_cannot_count_fails_the_run_naming_it(tmp_path, capsys) -> None:
    configs, args = _setup(tmp_path)
    (configs / "tiny" / "tsn_ucf.yaml").unlink()
    (configs / "model_zoo_meta.yaml").write_text("{}\n")
    (configs / "tiny" / "cumprod.yaml").write_text("MODEL:\n  MODEL_NAME: ZooCumprodHead\n  NUM_CLASSES: 4\n"
                                                  "DATA:\n  NUM_FRAMES: 2\n  TEST_CROP_SIZE: 8\n")
    assert model_zoo.main(args) == 1
    err = capsys.readouterr().err
    assert "tiny/cumprod.yaml: FLOPs not counted" in err and "aten::cumprod" in err
    row = next(r for r in (tmp_path / "MODEL_ZOO.md").read_text().splitlines() if "cumprod" in r)
    assert "not counted" in row  # the row stays, without a number


def test_a_key_added_at_its_default_keeps_every_cached_hash():
    """A new option at its default leaves the network as it was, so it must not re-key the cache (the
    models too large for the CPU could not be recounted); the same key set to another value re-keys."""
    from svit.config import load_config

    cfg = load_config(str(REPO / "configs" / "ssv2.yaml"), [])  # SVIT.CON_FRAMES at its default
    assert cfg.SVIT.CON_FRAMES == 0
    known = model_zoo.read_hashed_keys(model_zoo.hashed_keys_file(model_zoo.DEFAULT_CACHE))
    assert "SVIT.O" in known and "SVIT.CON_FRAMES" not in known  # CON_FRAMES came after the keying
    base = model_zoo.model_key(cfg, known)
    assert base == model_zoo.model_key(cfg)  # the default list is the one beside the default cache
    assert base != model_zoo.model_key(cfg, frozenset())  # hashing every key re-keys: the list matters
    cfg.defrost()
    cfg.SVIT.CON_FRAMES = 2  # a new key set to another value than its default
    assert model_zoo.model_key(cfg, known) != base
    cfg.SVIT.CON_FRAMES = 0
    cfg.SVIT.O = 6  # a known key keeps counting
    assert model_zoo.model_key(cfg, known) != base


def test_a_renamed_key_keeps_every_cached_hash(monkeypatch):
    """A key renamed after the cache was keyed (svit/config/legacy.py RENAMED_KEYS) is hashed under its
    old name: the configs that set it still find their cached FLOPs; hashed under the new name, they
    would not (and the models too large for the CPU could not be recounted)."""
    from svit.config import load_config

    cache = json.loads(Path(model_zoo.DEFAULT_CACHE).read_text())
    known = model_zoo.read_hashed_keys(model_zoo.hashed_keys_file(model_zoo.DEFAULT_CACHE))
    assert {"SWIN.DROP_PATH_RATE", "UNIFORMER.DEPTH", "SIDE4VIDEO.LAYERS"} <= known
    names = ["swin/ssv2_swin_s_447.yaml", "vivit/ssv2_vivit_s.yaml", "uniformer/ssv2_uniformer_s16.yaml",
             "synthetic/side4video_tiny.yaml"]  # the last sets SIDE4VIDEO.DEPTH off its default
    cfgs = [load_config(str(REPO / "configs" / n), []) for n in names]
    assert all(model_zoo.model_key(cfg, known) in cache for cfg in cfgs)
    monkeypatch.setattr(model_zoo, "HASHED_AS", {})
    model_zoo.default_tree.cache_clear()
    try:
        assert not any(model_zoo.model_key(cfg, known) in cache for cfg in cfgs)
    finally:
        model_zoo.default_tree.cache_clear()

"""The synthetic SSv2 generator: layout, schema, determinism, temporal classes, cache/lock."""

import filecmp
import json
import os

import pytest

from svit.config.defaults import get_cfg
from svit.data.boxes import validate_record
from svit.data.sources.synthetic_ssv2 import synthetic_ssv2
from svit.data.synthetic.cache import ensure_synthetic_dataset
from svit.data.synthetic.classes import CLASSES
from svit.data.synthetic.generate import generate_synthetic_ssv2


def test_layout_and_schema(synth_root):
    r = synth_root
    labels = json.load(open(r / "something-something-v2-labels.json"))
    assert len(labels) == len(CLASSES) >= 8 and sorted(int(v) for v in labels.values()) == list(range(len(labels)))
    train = json.load(open(r / "something-something-v2-train.json"))
    val = json.load(open(r / "something-something-v2-validation.json"))
    assert len(train) + len(val) == 24 and not {e["id"] for e in train} & {e["id"] for e in val}
    for e in train + val:
        assert set(e) == {"id", "label", "template", "placeholders"}
        assert "[" not in e["label"] and e["template"].replace("[", "").replace("]", "") in labels
        recs = json.load(open(r / "bbox_jsons" / f"{e['id']}.json"))
        assert len(recs) == 12 == len(os.listdir(r / "frames" / e["id"]))
        assert (r / "videos" / f"{e['id']}.webm").stat().st_size > 0
        for i, rec in enumerate(recs):
            validate_record(rec, "x", e["id"], i)
            assert rec["name"] == f"{e['id']}/{i + 1:04d}.jpg"
            assert rec["nr_instances"] == len(rec["labels"]) and rec["gt_placeholders"] == e["placeholders"]
            for lab in rec["labels"]:
                assert set(lab) >= {"box2d", "category", "standard_category", "gt_annotation"}
    assert (r / "_COMPLETE").exists()


def _centre(rec, cat):
    b = next(l["box2d"] for l in rec["labels"] if l["standard_category"] == cat)
    return (b["x1"] + b["x2"]) / 2, (b["y1"] + b["y2"]) / 2, b["x2"] - b["x1"]


def test_temporal_classes_move_as_named(tmp_path):
    generate_synthetic_ssv2(
        str(tmp_path), num_videos=36, seed=1, num_frames=10, size=64, workers=1, write_videos=False, progress=False
    )
    entries = json.load(open(tmp_path / "something-something-v2-train.json")) + json.load(
        open(tmp_path / "something-something-v2-validation.json")
    )
    reversed_pairs = 0
    for e in entries:
        recs = json.load(open(tmp_path / "bbox_jsons" / f"{e['id']}.json"))
        (x0, y0, s0), (x1, y1, s1) = _centre(recs[0], "0000"), _centre(recs[-1], "0000")
        t = e["template"]
        checks = {
            "Moving [something] from left to right": x1 - x0 > 20,
            "Moving [something] from right to left": x0 - x1 > 20,
            "Moving [something] up": y0 - y1 > 20,
            "Moving [something] down": y1 - y0 > 20,
            "Moving [something] towards the camera": s1 - s0 > 10,
            "Moving [something] away from the camera": s0 - s1 > 10,
        }
        if t in checks:
            assert checks[t], (t, recs[0], recs[-1])
            reversed_pairs += 1
    assert reversed_pairs >= 18
    # at least half of the classes have a partner that is the same motion reversed in time
    temporal = [
        c
        for c in CLASSES
        if any(
            w in c.template
            for w in (
                "left to right",
                "right to left",
                " up",
                " down",
                "towards",
                "away",
                "on top",
                " off ",
                "closer",
                "away from each",
            )
        )
    ]
    assert len(temporal) >= len(CLASSES) / 2


def test_deterministic_given_seed_any_workers(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_synthetic_ssv2(str(a), 14, seed=5, num_frames=6, size=32, workers=1, write_videos=False, progress=False)
    generate_synthetic_ssv2(str(b), 14, seed=5, num_frames=6, size=32, workers=2, write_videos=False, progress=False)
    for name in (
        "something-something-v2-train.json",
        "something-something-v2-validation.json",
        "bbox_jsons/7.json",
        "frames/7/0003.jpg",
    ):
        assert filecmp.cmp(a / name, b / name, shallow=False), name
    c = tmp_path / "c"
    generate_synthetic_ssv2(str(c), 14, seed=6, num_frames=6, size=32, workers=1, write_videos=False, progress=False)
    assert not filecmp.cmp(a / "bbox_jsons/7.json", c / "bbox_jsons/7.json", shallow=False)


def _syn_cfg():
    cfg = get_cfg()
    cfg.SYNTHETIC.NUM_VIDEOS, cfg.SYNTHETIC.NUM_FRAMES_PER_VIDEO, cfg.SYNTHETIC.FRAME_SIZE = 12, 6, 32
    cfg.SYNTHETIC.WRITE_VIDEOS, cfg.SYNTHETIC.WORKERS = False, 1
    cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TEST_CROP_SIZE = 4, 32, 32
    cfg.DATA.TRAIN_JITTER_SCALES = [32, 36]
    return cfg


def test_cache_folder_generated_once_and_incomplete_regenerated(tmp_path, monkeypatch):
    monkeypatch.setenv("SVIT_CACHE", str(tmp_path / "cache"))
    cfg = _syn_cfg()
    root = ensure_synthetic_dataset(cfg)
    assert root.startswith(str(tmp_path / "cache")) and "synthetic_ssv2_" in root
    marker = os.path.join(root, "_COMPLETE")
    stamp = os.stat(marker).st_mtime_ns
    assert ensure_synthetic_dataset(cfg) == root and os.stat(marker).st_mtime_ns == stamp
    cfg.SYNTHETIC.SEED = 1
    assert ensure_synthetic_dataset(cfg) != root  # other parameters, other folder
    # An interrupted generation (stamp left, no _COMPLETE) is wiped and regenerated.
    os.remove(marker)
    open(os.path.join(root, "_GENERATING"), "w").close()
    open(os.path.join(root, "junk.txt"), "w").close()
    cfg.SYNTHETIC.SEED = 0
    assert ensure_synthetic_dataset(cfg) == root and os.path.exists(marker)
    assert not os.path.exists(os.path.join(root, "junk.txt"))
    assert not os.path.exists(os.path.join(root, "_GENERATING"))


def test_cache_refuses_to_wipe_a_foreign_folder(tmp_path):
    precious = tmp_path / "my_ssv2"
    precious.mkdir()
    (precious / "something-something-v2-labels.json").write_text("{}")
    cfg = _syn_cfg()
    cfg.SYNTHETIC.ROOT = str(precious)
    with pytest.raises(FileExistsError, match="my_ssv2"):
        ensure_synthetic_dataset(cfg)
    assert (precious / "something-something-v2-labels.json").read_text() == "{}"


def test_synthetic_source_reads_like_ssv2(tmp_path):
    cfg = _syn_cfg()
    cfg.SYNTHETIC.ROOT = str(tmp_path / "syn")
    ds = synthetic_ssv2(cfg, "train")
    assert ds.num_classes == len(CLASSES) and ds.split_info["source"] == "synthetic_ssv2"
    it = ds[0]
    assert it["inputs"].shape == (3, 4, 32, 32) and it["box_mask"][:, 2].any()

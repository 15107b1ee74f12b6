"""data_tools/detect_boxes.py --backend detectron2, end to end with a small randomly initialised detector.

detectron2 is not on PyPI (built from source, docs/TOOLS.md), so every test that needs it is skipped
where it is not installed; CI runs the torchvision backend (tests/data/test_data_tools.py). The one
test that runs everywhere checks the error a user without detectron2 gets.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from data_tools import detect_boxes
from svit.config import load_config
from svit.data.boxes import load_box_file
from svit.data.sources.ssv2_frames import ssv2_frames
from svit.data.synthetic.generate import generate_synthetic_ssv2
from svit.engine.run import run_phases
from tests.data.prepare_helpers import restored_svit_logger

REPO = Path(__file__).resolve().parents[2]
# A COCO Faster R-CNN FPN from detectron2's own configs, shrunk so that it runs in seconds on CPU.
D2_BASE = "COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml"
D2_SMALL = [
    "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.RES2_OUT_CHANNELS", "64", "MODEL.FPN.OUT_CHANNELS", "64",
    "MODEL.RPN.PRE_NMS_TOPK_TEST", "200", "MODEL.RPN.POST_NMS_TOPK_TEST", "50", "MODEL.DEVICE", "cpu",
]  # fmt: skip
D2_INPUT = ["INPUT.MIN_SIZE_TEST", "64", "INPUT.MAX_SIZE_TEST", "128"]
SIZE, NUM_FRAMES = 32, 4


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: on the shared 2-core machine two threads that wait on each other make the
    detector's many small convolutions up to 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_ssv2(tmp_path_factory) -> Path:
    """12 synthetic videos (one per class) of 4 frames of 32 px: 48 frames for the detector."""
    pytest.importorskip("detectron2")
    root = tmp_path_factory.mktemp("tiny_ssv2") / "ds"
    generate_synthetic_ssv2(str(root), 12, seed=5, num_frames=NUM_FRAMES, size=SIZE, workers=1, write_videos=False,
                            progress=False)  # fmt: skip
    return root


@pytest.fixture(scope="module")
def d2_random(tmp_path_factory) -> tuple[Path, Path]:
    """(config yaml, checkpoint) of a randomly initialised small detectron2 Faster R-CNN, saved with
    detectron2's own DetectionCheckpointer."""
    d2 = pytest.importorskip("detectron2")
    from detectron2.checkpoint import DetectionCheckpointer
    from detectron2.config import get_cfg
    from detectron2.modeling import build_model

    out = tmp_path_factory.mktemp("d2")
    cfg = get_cfg()
    # the configs shipped in the package (detectron2.model_zoo would find them the same way, but it
    # imports pkg_resources, which setuptools >= 81 no longer has)
    cfg.merge_from_file(str(Path(d2.__file__).parent / "model_zoo" / "configs" / D2_BASE))
    cfg.merge_from_list(D2_SMALL)
    (out / "frcnn_small.yaml").write_text(cfg.dump())
    torch.manual_seed(0)
    DetectionCheckpointer(build_model(cfg), save_dir=str(out)).save("random_init")
    return out / "frcnn_small.yaml", out / "random_init.pth"


def _ids_file(root: Path, out: Path) -> list[str]:
    lists = [root / f"something-something-v2-{name}.json" for name in ("train", "validation")]
    ids = [e["id"] for path in lists for e in json.loads(path.read_text())]
    out.write_text(json.dumps(ids))
    return ids


def test_detectron2_missing_is_a_clear_error(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "detectron2" or m.startswith("detectron2.")] + ["detectron2"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    (tmp_path / "c.yaml").write_text("")
    (tmp_path / "w.pth").write_bytes(b"")
    (tmp_path / "ids.json").write_text("[]")
    args = ["--frames-dir", str(tmp_path), "--ids-file", str(tmp_path / "ids.json"), "--out", str(tmp_path / "o"),
            "--backend", "detectron2", "--weights", str(tmp_path / "w.pth")]  # fmt: skip
    with pytest.raises(SystemExit, match="needs --d2-config"):
        detect_boxes.main(args)
    with pytest.raises(SystemExit, match="not on PyPI.*docs/TOOLS.md"):
        detect_boxes.main(args + ["--d2-config", str(tmp_path / "c.yaml")])


def test_detectron2_backend_end_to_end_then_train_step(d2_random, tiny_ssv2, tmp_path):
    """Random detector over every synthetic video -> Something-Else files that our reader accepts
    -> one SViT co-training step reading those boxes (video clips and HAOG frames)."""
    from detectron2.data import MetadataCatalog

    config, weights = d2_random
    ids = _ids_file(tiny_ssv2, tmp_path / "ids.json")
    det = tmp_path / "det_boxes"
    thresh = 0.005  # the random head's softmax gives every class about 1/81
    rc = detect_boxes.main(
        ["--frames-dir", str(tiny_ssv2 / "frames"), "--ids-file", str(tmp_path / "ids.json"), "--out", str(det),
         "--backend", "detectron2", "--d2-config", str(config), "--weights", str(weights), "--d2-opts", *D2_INPUT,
         "--score-thresh", str(thresh), "--max-objects", "2", "--device", "cpu"]  # fmt: skip
    )
    assert rc == 0
    coco = MetadataCatalog.get("coco_2017_val").thing_classes
    n_hands = n_objects = 0
    for vid in ids:
        vb = load_box_file(str(det / f"{vid}.json"), vid, 4)  # our Something-Else reader validates the schema
        assert vb.frame_numbers == list(range(1, NUM_FRAMES + 1))
        assert (vb.boxes <= SIZE + 1e-3).all() and (vb.boxes >= 0).all()  # pixels of the frames
        for rec in json.loads((det / f"{vid}.json").read_text()):
            hands = [lab for lab in rec["labels"] if lab["standard_category"] == "hand"]
            objects = [lab for lab in rec["labels"] if lab["standard_category"] != "hand"]
            assert len(hands) <= 2 and [o["standard_category"] for o in objects] == ["0000", "0001"][: len(objects)]
            assert all(lab["score"] >= thresh for lab in rec["labels"])
            assert rec["gt_placeholders"] == [o["category"] for o in objects]
            assert all(o["category"] in coco and o["category"] != "person" for o in objects)  # class 0 = person = hand
            n_hands, n_objects = n_hands + len(hands), n_objects + len(objects)
    assert n_hands > 0 and n_objects > 0

    cfg = load_config(
        str(REPO / "configs" / "synthetic" / "svit_tiny.yaml"),
        ["TRAIN.DATASET", "ssv2", "TEST.DATASET", "ssv2", "IMAGE_TRAIN.DATASETS", "['ssv2_frames']",
         "DATA.PATH_TO_DATA_DIR", str(tiny_ssv2), "DATA.PATH_PREFIX", str(tiny_ssv2), "SSV2.BOX_DIR", str(det),
         "OUTPUT_DIR", str(tmp_path / "run"), "DATA.NUM_FRAMES", "4", "DATA.TRAIN_CROP_SIZE", "32",
         "DATA.TEST_CROP_SIZE", "32", "DATA.TRAIN_JITTER_SCALES", "[32, 40]", "TRAIN.BATCH_SIZE", "2",
         "IMAGE_TRAIN.BATCH_SIZE", "2", "TRAIN.MAX_STEPS_PER_EPOCH", "1", "SOLVER.MAX_EPOCH", "1",
         "SOLVER.WARMUP_EPOCHS", "0.0", "TRAIN.EVAL_PERIOD", "100", "TEST.ENABLE", "False",
         "DATA_LOADER.NUM_WORKERS", "0", "DATA_LOADER.PERSISTENT_WORKERS", "False", "TENSORBOARD.ENABLE", "False",
         "TRAIN.AUTO_RESUME", "False", "DATA.MAX_BAD_FRACTION", "0.0"]  # fmt: skip
    )
    frames = ssv2_frames(cfg, "train")
    assert frames.box_dir == str(det)
    assert any(frames.load(i, np.random.default_rng(i))["haog_mask"].any() for i in range(4))
    torch.manual_seed(0)
    with restored_svit_logger():
        run_phases(cfg, torch.device("cpu"))
    stats = [json.loads(line) for line in (tmp_path / "run" / "stats.jsonl").read_text().splitlines()]
    steps = [s for s in stats if "boxes_l1_loss" in s]
    assert steps and all(math.isfinite(s["loss"]) and math.isfinite(s["boxes_giou_loss"]) for s in steps), stats


def test_detectron2_gets_bgr_and_boxes_in_input_pixels(d2_random):
    """DefaultPredictor wants BGR: a pure red RGB frame must reach the model with red in channel 2;
    and boxes come back in pixels of the frame given, not of the model's resized input."""
    config, weights = d2_random
    det, names = detect_boxes.detectron2_detector(str(config), str(weights), "cpu", 0.0, D2_INPUT)
    seen = []
    det.predictor.model.register_forward_pre_hook(lambda m, args: seen.append(args[0][0]["image"]))
    img = np.zeros((40, 60, 3), np.uint8)
    img[..., 0] = 255  # red in RGB
    boxes, scores, classes = det(img)
    image = seen[0]
    assert image.shape[1:] == (64, 96)  # resized to INPUT.MIN_SIZE_TEST
    assert image[2].min() == 255 and image[:2].max() == 0
    assert len(boxes) > 0 and (boxes[:, [0, 2]] <= 60 + 1e-3).all() and (boxes[:, [1, 3]] <= 40 + 1e-3).all()
    assert boxes[:, 2].max() > 40 * 0.5  # not squeezed into a smaller frame either
    assert names[0] == "person" and classes.min() >= 0 and classes.max() < 80 and (scores >= 0).all()
    assert scores.min() < 0.05  # detectron2's own default test threshold no longer cuts them: it follows ours


def test_detectron2_rejects_checkpoint_of_another_model(d2_random):
    config, weights = d2_random
    with pytest.raises(SystemExit, match="does not fit the model.*NUM_CLASSES"):
        detect_boxes.detectron2_detector(str(config), str(weights), "cpu", 0.5, ["MODEL.ROI_HEADS.NUM_CLASSES", "3"])
    with pytest.raises(SystemExit, match="KEY VALUE"):
        detect_boxes.detectron2_detector(str(config), str(weights), "cpu", 0.5, ["INPUT.MIN_SIZE_TEST"])

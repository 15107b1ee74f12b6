"""Checkpoint -> tools/predict.py round trip: predictions on a frame folder equal the scores the
multi-view test phase wrote for the same video; webm files and folders of inputs work; bad inputs
fail with a clear message."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import predict as predict_tool  # noqa: E402

from svit.checkpoint import save_checkpoint  # noqa: E402
from svit.config import cfg_to_yaml, load_config  # noqa: E402
from svit.data.synthetic.generate import generate_synthetic_ssv2  # noqa: E402
from svit.engine.run import run_phases  # noqa: E402
from svit.models import build_model  # noqa: E402

CFG = str(REPO / "configs" / "synthetic" / "svit_tiny.yaml")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A synthetic dataset, a checkpoint of a (randomly initialised) tiny SViT, and its test run."""
    base = tmp_path_factory.mktemp("predict")
    root = generate_synthetic_ssv2(str(base / "data"), 24, seed=5, num_frames=24, size=64, workers=1, progress=False)
    opts = ["SYNTHETIC.ROOT", root, "MODEL.NUM_CLASSES", "12", "DATA_LOADER.NUM_WORKERS", "0",
            "TENSORBOARD.ENABLE", "False"]
    cfg = load_config(CFG, opts)
    torch.manual_seed(1)
    model = build_model(cfg)
    ckpt = save_checkpoint(str(base / "svit_tiny.pyth"), model, 1, cfg_yaml=cfg_to_yaml(cfg))
    test_cfg = load_config(
        CFG, opts + ["OUTPUT_DIR", str(base / "test"), "TRAIN.ENABLE", "False", "TEST.CHECKPOINT_FILE_PATH", ckpt]
    )
    run_phases(test_cfg, torch.device("cpu"))
    scores = np.load(base / "test" / "test_scores.npz")
    return {"root": root, "ckpt": ckpt, "opts": opts, "scores": scores, "base": base}


def run_predict(trained, inputs: list[str], *extra: str) -> tuple[int, dict]:
    out = trained["base"] / f"pred_{len(os.listdir(trained['base']))}.json"
    code = predict_tool.main(
        ["--cfg", CFG, "--checkpoint", trained["ckpt"], "--input", *inputs, "--json", str(out), "--device", "cpu",
         *extra, *trained["opts"]]
    )
    return code, json.loads(out.read_text()) if out.exists() else {}


def test_frame_folder_prediction_equals_test_phase_scores(trained) -> None:
    scores = trained["scores"]
    vids = [str(v) for v in scores["video_ids"][:2]]
    folders = [os.path.join(trained["root"], "frames", v) for v in vids]
    code, payload = run_predict(trained, folders, "--topk", "12")
    assert code == 0
    assert payload["views"] == [1, 3]
    for vid, result in zip(vids, payload["results"]):
        assert result["video_id"] == vid
        row = scores["scores"][list(scores["video_ids"]).index(vid)]
        got = np.zeros(12)
        for p in result["predictions"]:
            got[p["class"]] = p["score"]
        np.testing.assert_allclose(got, row, atol=1e-5)
        ranked = [p["score"] for p in result["predictions"]]
        assert ranked == sorted(ranked, reverse=True)
        # Class names come from the dataset's label map.
        prefixes = ("Moving", "Putting", "Taking", "Shaking", "Holding")
        assert all(p["name"].startswith(prefixes) for p in result["predictions"])


def test_webm_and_folder_of_videos(trained) -> None:
    videos = os.path.join(trained["root"], "videos")
    code, payload = run_predict(trained, [videos], "--topk", "3", "--views", "1", "1")
    assert code == 0
    assert len(payload["results"]) == len(os.listdir(videos))
    for result in payload["results"]:
        assert len(result["predictions"]) == 3
        assert 0.0 < sum(p["score"] for p in result["predictions"]) <= 1.0 + 1e-6


def test_missing_input_is_a_clear_error(trained, capsys) -> None:
    code = predict_tool.main(
        ["--cfg", CFG, "--checkpoint", trained["ckpt"], "--input", "/nonexistent/video.webm", *trained["opts"]]
    )
    assert code == 2
    assert "/nonexistent/video.webm" in capsys.readouterr().err


def test_checkpoint_of_another_model_is_rejected(trained, tmp_path, capsys) -> None:
    cfg = load_config(str(REPO / "configs" / "synthetic" / "mvit_tiny.yaml"), trained["opts"])
    other = save_checkpoint(str(tmp_path / "mvit.pyth"), build_model(cfg), 1)
    code = predict_tool.main(
        ["--cfg", CFG, "--checkpoint", other, "--input", trained["root"] + "/videos", *trained["opts"]]
    )
    assert code == 2
    assert "mvit.pyth" in capsys.readouterr().err


def test_unreadable_video_is_reported_not_replaced(trained, tmp_path) -> None:
    bad = tmp_path / "broken.webm"
    bad.write_bytes(b"\x1aE\xdf\xa3 not really a webm")
    code, payload = run_predict(trained, [str(bad)])
    assert code == 1
    assert "error" in payload["results"][0] and payload["results"][0]["video_id"] == "broken"


def _predict_json(trained, ckpt: str, inputs: list[str], *extra: str) -> tuple[int, dict]:
    out = trained["base"] / f"pred_{len(os.listdir(trained['base']))}.json"
    code = predict_tool.main(
        ["--cfg", CFG, "--checkpoint", ckpt, "--input", *inputs, "--json", str(out), "--device", "cpu",
         "--views", "1", "1", "--topk", "12", *extra, *trained["opts"]]
    )
    return code, json.loads(out.read_text()) if out.exists() else {}


def _scores(payload: dict) -> np.ndarray:
    got = np.zeros(12)
    for p in payload["results"][0]["predictions"]:
        got[p["class"]] = p["score"]
    return got


def test_model_ema_eval_model_decides_which_weights_predict(trained, tmp_path, capsys) -> None:
    cfg = load_config(CFG, trained["opts"])
    torch.manual_seed(2)
    teacher = build_model(cfg)
    with_ema = torch.load(trained["ckpt"], weights_only=True)
    with_ema["ema_state"] = {"module": teacher.state_dict(), "num_calls": 5, "decay": 0.99}
    torch.save(with_ema, tmp_path / "with_ema.pyth")
    plain_teacher = save_checkpoint(str(tmp_path / "teacher.pyth"), teacher, 1)
    folder = [os.path.join(trained["root"], "frames", str(trained["scores"]["video_ids"][0]))]
    ema_opts = ("MODEL_EMA.ENABLE", "True", "MODEL_EMA.EVAL_MODEL", "ema")
    code, by_ema = _predict_json(trained, str(tmp_path / "with_ema.pyth"), folder, *ema_opts)
    assert code == 0
    _, by_teacher = _predict_json(trained, plain_teacher, folder)
    _, by_online = _predict_json(trained, str(tmp_path / "with_ema.pyth"), folder)
    np.testing.assert_allclose(_scores(by_ema), _scores(by_teacher), atol=1e-6)
    assert np.abs(_scores(by_ema) - _scores(by_online)).max() > 1e-4
    # asking for the EMA of a checkpoint that has none is an error naming the file
    assert predict_tool.main(["--cfg", CFG, "--checkpoint", trained["ckpt"], "--input", *folder, *ema_opts,
                              *trained["opts"]]) == 2
    assert "svit_tiny.pyth holds no 'ema_state'" in capsys.readouterr().err

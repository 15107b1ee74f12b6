"""SViT co-training through the one engine: the task's loss terms and weights, a short CPU run
whose loss goes down, the same run under 2-process gloo DDP, and the MViT baseline config."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from svit.config import load_config
from svit.data import build_loader
from svit.engine.run import run_phases
from svit.engine.tasks import build_task
from svit.losses.consistency import consistency_loss, frame_tokens_for_clip
from svit.losses.haog import contact_state_loss, haog_node_losses
from svit.models import build_model

REPO = Path(__file__).resolve().parents[2]
SVIT_TINY = str(REPO / "configs" / "synthetic" / "svit_tiny.yaml")


def tiny_cfg(root: str, out: Path, *extra: str):
    return load_config(
        SVIT_TINY,
        [
            "SYNTHETIC.ROOT", root,
            "OUTPUT_DIR", str(out),
            "TRAIN.BATCH_SIZE", "8",
            "IMAGE_TRAIN.BATCH_SIZE", "8",
            "DATA_LOADER.NUM_WORKERS", "0",
            "TENSORBOARD.ENABLE", "False",
            "TRAIN.AUTO_RESUME", "False",
            *extra,
        ],
    )


def test_cotrain_terms_are_weighted_losses(synthetic_root: str, tmp_path: Path) -> None:
    # every frame in the consistency target (SVIT.CON_FRAMES 0; the drawn subset has its own test below)
    cfg = tiny_cfg(synthetic_root, tmp_path, "MODEL.NUM_CLASSES", "12", "SVIT.CON_FRAMES", "0")
    torch.manual_seed(0)
    model = build_model(cfg).eval()  # eval: no dropout, so the recomputation below is exact
    task = build_task(cfg, model, torch.device("cpu"))
    task.on_epoch_start(0)
    batch = next(iter(build_loader(cfg, "train")))
    images = task._next_images()
    task._next_images = lambda: images  # pin the image batch so every term can be recomputed
    terms = task.training_step(model, batch).terms
    assert set(terms) == {
        "cls",
        "video_image_desc_l1_loss",
        "boxes_l1_loss",
        "boxes_giou_loss",
        "boxes_bce_loss",
        "loss_contact_state",
    }
    with torch.no_grad():
        out = model(batch["inputs"])
        img = model(images["images"])
        ce = torch.nn.functional.cross_entropy(out["logits"], batch["labels"])
        frames = frame_tokens_for_clip(model, batch["inputs"], mode="eval", features="pre_dropout")
        con = consistency_loss(out["obj_desc_pre_dropout"], frames, "l1")
        nodes = haog_node_losses(img["pred_bboxes"], images["haog_boxes"], images["haog_mask"])
        contact = contact_state_loss(img["pred_contact_state"], images["contact_state"])
    w_v, w_i = 0.875, 0.125  # the original 7-video / 1-image GPU split
    lam_n, lam_e, lam_con = cfg.SVIT.LAMBDA_NODES, cfg.SVIT.LAMBDA_EDGES, cfg.SVIT.LAMBDA_CON
    assert (cfg.SVIT.VIDEO_LOSS_WEIGHT, cfg.SVIT.IMAGE_LOSS_WEIGHT) == (w_v, w_i)
    assert torch.allclose(terms["cls"], w_v * ce, atol=1e-5)
    assert con > 0  # the consistency term is really computed (the original's never was)
    assert torch.allclose(terms["video_image_desc_l1_loss"], w_v * lam_con * con, atol=1e-5)
    assert torch.allclose(terms["boxes_l1_loss"], w_i * 5 * lam_n * nodes["boxes_l1_loss"], atol=1e-5)
    assert torch.allclose(terms["boxes_bce_loss"], w_i * lam_n * nodes["boxes_bce_loss"], atol=1e-5)
    assert torch.allclose(terms["boxes_giou_loss"], w_i * 2 * lam_n * nodes["boxes_giou_loss"], atol=1e-5)
    assert torch.allclose(terms["loss_contact_state"], w_i * lam_e * contact, atol=1e-5)
    assert images["haog_mask"].any(), "synthetic frames carry boxes"


def test_consistency_off_drops_term_and_frame_pass(synthetic_root: str, tmp_path: Path, monkeypatch) -> None:
    cfg = tiny_cfg(synthetic_root, tmp_path, "SVIT.LAMBDA_CON", "0.0", "IMAGE_TRAIN.ENABLE", "False")
    model = build_model(cfg)
    task = build_task(cfg, model, torch.device("cpu"))
    calls = []
    import svit.losses.consistency as consistency

    monkeypatch.setattr(consistency, "frame_tokens_for_clip", lambda *a, **k: calls.append(1))
    task.on_epoch_start(0)
    batch = next(iter(build_loader(cfg, "train")))
    terms = task.training_step(model, batch).terms
    assert not any("video_image" in k for k in terms) and not any("boxes" in k for k in terms)
    assert calls == []


def epoch_losses(out: Path) -> list[float]:
    """Mean training loss of each epoch, from stats.jsonl."""
    stats = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    return [s["loss"] for s in stats if s["_type"] == "train_epoch"]


def test_short_cotraining_run_loss_goes_down(synthetic_root: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cfg = tiny_cfg(
        synthetic_root, out,
        "SOLVER.MAX_EPOCH", "4", "TRAIN.MAX_STEPS_PER_EPOCH", "4", "TRAIN.EVAL_PERIOD", "4",
        "SOLVER.WARMUP_EPOCHS", "0.0", "SOLVER.BASE_LR", "0.003", "TEST.NUM_SPATIAL_CROPS", "1",
    )
    result = run_phases(cfg, torch.device("cpu"))["test"]
    losses = epoch_losses(out)
    assert len(losses) == 4
    assert losses[-1] < losses[0], f"co-training loss did not go down: {losses}"
    assert result["num_videos"] > 0
    assert len(list((out / "checkpoints").glob("*.pyth"))) == 4


def test_cotraining_under_two_process_ddp(synthetic_root: str, tmp_path: Path) -> None:
    from svit.engine.launch import main

    out = tmp_path / "ddp"
    code = main([
        "--cfg", SVIT_TINY, "--init_method", f"file://{tmp_path}/rendezvous",
        "SYNTHETIC.ROOT", synthetic_root, "OUTPUT_DIR", str(out), "NUM_CPU_PROCS", "2",
        "TRAIN.BATCH_SIZE", "4", "IMAGE_TRAIN.BATCH_SIZE", "4", "TEST.BATCH_SIZE", "8",
        "SOLVER.MAX_EPOCH", "1", "TRAIN.MAX_STEPS_PER_EPOCH", "2", "TRAIN.EVAL_PERIOD", "0",
        "DATA_LOADER.NUM_WORKERS", "0", "TENSORBOARD.ENABLE", "False", "TRAIN.AUTO_RESUME", "False",
        "TEST.NUM_SPATIAL_CROPS", "1",
    ])
    assert code in (0, None)
    results = json.loads((out / "test_results.json").read_text())
    assert results["num_videos"] > 0
    assert len(list((out / "checkpoints").glob("*.pyth"))) == 1


def test_mvit_tiny_is_svit_tiny_without_object_tokens() -> None:
    svit = load_config(SVIT_TINY)
    mvit = load_config(str(REPO / "configs" / "synthetic" / "mvit_tiny.yaml"))
    a, b = build_model(svit), build_model(mvit)
    names_a = {k for k, _ in a.named_parameters()}
    names_b = {k for k, _ in b.named_parameters()}
    assert names_b < names_a
    assert {n.split(".")[0] for n in names_a - names_b} == {"object_queries", "pos_embed_temporal", "head"}
    assert mvit.TRAIN.TASK == "classification" and not mvit.IMAGE_TRAIN.ENABLE


def test_cotrain_step_reads_nothing_on_the_host(synthetic_root: str, tmp_path: Path) -> None:
    """The co-training step (clip + annotated frames, HAOG box losses, contact states, frame-clip
    consistency) and its backward convert no tensor to a Python value outside the data loaders: nothing in
    it waits for the device (tests/engine/test_step_device_reads.py covers the engine around it)."""
    import sys

    sys.path.insert(0, str(REPO / "tests" / "engine"))
    from host_reads import RecordReads

    cfg = tiny_cfg(synthetic_root, tmp_path, "MODEL.NUM_CLASSES", "12")
    torch.manual_seed(0)
    model = build_model(cfg).train()
    task = build_task(cfg, model, torch.device("cpu"))
    task.on_epoch_start(0)
    batches = iter(build_loader(cfg, "train"))
    mode = RecordReads()
    for _ in range(2):
        batch = next(batches)
        with mode:
            out = task.training_step(model, batch)
            sum(out.terms.values()).backward()
    assert len(out.terms) == 6
    assert not mode.reads, dict(mode.reads)


def test_consistency_on_drawn_frames(synthetic_root: str, tmp_path: Path) -> None:
    """SVIT.CON_FRAMES 2: the task's consistency term is the loss over the two frames drawn by the step's
    RNG, and the frame pass sees B x 2 frames instead of B x T."""
    import svit.losses.consistency as consistency

    cfg = tiny_cfg(synthetic_root, tmp_path, "SVIT.CON_FRAMES", "2", "IMAGE_TRAIN.ENABLE", "False")
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    task = build_task(cfg, model, torch.device("cpu"))
    task.on_epoch_start(0)
    batch = next(iter(build_loader(cfg, "train")))
    b, t = batch["inputs"].shape[0], batch["inputs"].shape[2]
    seen = []
    orig = model.forward
    model.forward = lambda x, **k: (seen.append(x.shape[0]), orig(x, **k))[1]
    torch.manual_seed(5)
    terms = task.training_step(model, batch).terms
    model.forward = orig
    assert seen == [b, b * 2]  # the clip pass, then the frame pass on 2 frames per clip
    torch.manual_seed(5)
    index = consistency.draw_frames(t, 2)
    with torch.no_grad():
        out = model(batch["inputs"])
        frames = frame_tokens_for_clip(model, batch["inputs"], mode="eval", features="pre_dropout")
    want = cfg.SVIT.VIDEO_LOSS_WEIGHT * cfg.SVIT.LAMBDA_CON * consistency_loss(
        out["obj_desc_pre_dropout"][:, index], frames[:, index], "l1")
    assert torch.allclose(terms["video_image_desc_l1_loss"], want, atol=1e-6)


def test_negative_con_frames_is_refused(synthetic_root: str, tmp_path: Path) -> None:
    import pytest

    from svit.config.errors import ConfigError

    cfg = tiny_cfg(synthetic_root, tmp_path, "SVIT.CON_FRAMES", "-1")
    with pytest.raises(ConfigError, match="SVIT.CON_FRAMES must be >= 0"):
        build_task(cfg, build_model(cfg), torch.device("cpu"))

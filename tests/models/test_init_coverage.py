"""An initialisation that sets too little of the model is an error (issue 19, item 3).

Before: an SViT checkpoint given as TRAIN.CHECKPOINT_FILE_PATH to a TSM config loaded 0 tensors,
logged one WARNING per key and trained from scratch. Now ``load_checkpoint(min_loaded=...)`` refuses
a file that sets less than that share of the model outside its head, naming the file, the model its
stored cfg describes and the top mismatches, and leaves the model untouched; 0 accepts it. The
report logs one summary line and its repr is a summary, not the whole checkpoint.
"""
from __future__ import annotations

import logging

import pytest
import torch
from mvit_cfgs import micro_cfg, yaml_cfg

from svit.checkpoint import CheckpointError, check_coverage, load_checkpoint, save_checkpoint
from svit.config import cfg_to_yaml
from svit.models import build_model


def _svit_checkpoint(tmp_path):
    cfg = yaml_cfg("synthetic/svit_tiny.yaml")
    path = str(tmp_path / "svit_epoch_3.pyth")
    save_checkpoint(path, build_model(cfg), 3, cfg_yaml=cfg_to_yaml(cfg))
    return path


def test_checkpoint_of_another_model_is_refused_and_model_untouched(tmp_path):
    path = _svit_checkpoint(tmp_path)
    tsm = build_model(yaml_cfg("synthetic/tsm_tiny.yaml"))
    before = {k: v.clone() for k, v in tsm.state_dict().items()}
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, tsm, min_loaded=0.5)
    msg = str(err.value)
    assert "\n" not in msg
    assert path in msg and "0%" in msg
    assert "MODEL_NAME 'SViT'" in msg and "MODEL.ARCH 'mvit'" in msg and "epoch 3" in msg
    assert "conv1.weight" in msg  # a model tensor the file lacks
    assert "TRAIN.CHECKPOINT_MIN_LOADED" in msg
    for k, v in tsm.state_dict().items():
        assert torch.equal(v, before[k]), k


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_min_loaded_zero_accepts_a_partial_load_with_one_summary_line(tmp_path):
    path = _svit_checkpoint(tmp_path)
    tsm = build_model(yaml_cfg("synthetic/tsm_tiny.yaml"))
    log = logging.getLogger("svit.checkpoint")
    handler, level = _Records(), log.level
    log.addHandler(handler)  # on the logger itself: svit's logging setup may stop propagation to caplog
    log.setLevel(logging.INFO)
    try:
        report = load_checkpoint(path, tsm, min_loaded=0)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    lines = handler.records
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    text = lines[0].getMessage()
    assert f"Loaded 0 tensors from {path}" in text
    assert f"{len(report.missing)} missing" in text and f"{len(report.unexpected)} unexpected" in text
    assert len(report.missing) > 50 and len(text) < 1000  # counts plus a few names, not one line per key


def test_report_repr_is_a_summary(tmp_path):
    path = _svit_checkpoint(tmp_path)
    report = load_checkpoint(path, build_model(yaml_cfg("synthetic/svit_tiny.yaml")), strict=True)
    text = repr(report)
    assert len(text) < 300 and "tensor(" not in text
    assert f"loaded={len(report.loaded)}" in text and "epoch=3" in text
    assert isinstance(report.checkpoint, dict)  # the contents stay available


def test_k400_mvit_into_svit_passes_the_default_share(tmp_path):
    """Object-token modules and the head are new: the backbone is nearly all of the model."""
    k400 = build_model(micro_cfg("MViT", ["MODEL.NUM_CLASSES", 400]))
    path = str(tmp_path / "k400.pyth")
    torch.save({"model_state": k400.state_dict()}, path)
    svit = build_model(micro_cfg("SViT"))
    report = load_checkpoint(path, svit, checkpoint_type="slowfast", min_loaded=0.5)
    assert check_coverage(report, svit.state_dict(), 0.0) > 0.9


def test_head_is_left_out_of_the_share(tmp_path):
    """A file holding only the classifier of the right model sets 0% of it."""
    tsm = build_model(yaml_cfg("synthetic/tsm_tiny.yaml"))
    path = str(tmp_path / "head_only.pth")
    torch.save({k: v for k, v in tsm.state_dict().items() if k.startswith("fc.")}, path)
    with pytest.raises(CheckpointError, match=r"initialises only 0% .*a state dict of 2 tensors \(top-level fc\(2\)\)"):
        load_checkpoint(path, build_model(yaml_cfg("synthetic/tsm_tiny.yaml")), min_loaded=0.5)

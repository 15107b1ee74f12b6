"""Nothing in the training or validation step reads a tensor on the host except where it is meant to.

On a GPU every such read (``float(loss)``, ``int(hits.sum())``, ``.item()``, ``.tolist()``...) stops the
host until the device has caught up, which idles a launch-bound GPU (svit/engine/step_stats.py). The
CPU cannot show the wait, but it can show the reads: a TorchFunctionMode records every tensor-to-host
conversion with the svit frame that asked for it, over a whole run (hooks, EMA, clipping, accumulation,
validation). Allowed: the one-step-late read of the step's numbers, validation's reads at the end of the
split (its loss sums, and the rows its metrics get: svit/engine/split_rows.py; plus each batch's host-side
keep mask), and the data pipeline (its tensors live on the host).
"""
from __future__ import annotations

from pathlib import Path

import engine_toy
import pytest
import torch
from host_reads import RecordReads

from svit.config import load_config
from svit.engine.launch import launch_job

# the step's numbers, read one step late (the data pipeline's reads happen inside the DataLoader and
# are not recorded: its tensors live on the host)
_ALLOWED = ("engine/step_stats.py",)
# mixing's numpy generator is seeded from torch's CPU generator (a host tensor); reads inside the
# DataLoader (its sampler's seed) are not recorded at all
_HOST_TENSOR_FUNCTIONS = {"torch_seeded_rng"}


def test_training_and_validation_read_the_device_only_where_meant(tmp_path):
    cfg = load_config(None, engine_toy.toy_opts(str(tmp_path / "out"), **{
        "TEST.ENABLE": False, "MODEL_EMA.ENABLE": True, "MODEL_EMA.DECAY": 0.9, "MIXUP.ENABLE": True,
        "MODEL.LOSS_FUNC": "soft_cross_entropy", "TRAIN.HOOKS": "['toy_gate']", "TRAIN.GRAD_ACCUM_STEPS": 2,
        "SOLVER.CLIP_GRAD_L2NORM": 1.0, "SOLVER.MAX_EPOCH": 1}))
    mode = RecordReads()
    with mode:
        launch_job(cfg, func=engine_toy.run_toy)
    where = {w for _, w in mode.reads}
    assert any(w.startswith("engine/step_stats.py") for w in where)  # the mode sees the reads at all
    # validate: the host-side keep mask of each batch, and the device sums once at the end of the split
    evaluator_reads = {w for w in where if w.startswith("engine/evaluator.py")}
    assert all(w.endswith(" validate") for w in evaluator_reads) and len(evaluator_reads) <= 2, evaluator_reads
    # the metrics' rows: labels, dataset indices and each model's (online, ema) scores, once per split
    row_reads = {w: n for (_, w), n in mode.reads.items() if w.startswith("engine/split_rows.py")}
    assert sum(row_reads.values()) == 4 and all(w.endswith(" _cat") for w in row_reads), row_reads
    unexpected = {w for w in where - evaluator_reads - set(row_reads) if not w.startswith(_ALLOWED)
                  and w.split(" ")[-1] not in _HOST_TENSOR_FUNCTIONS}
    assert not unexpected, f"tensors read on the host inside the step: {sorted(unexpected)}"


# every family's tiny synthetic config (the svmix_* ones are the same models with the SV-Mix hook)
_SYNTHETIC = Path(__file__).resolve().parents[2] / "configs" / "synthetic"
_TINY = sorted(p.name[: -len("_tiny.yaml")] for p in _SYNTHETIC.glob("*_tiny.yaml") if not p.name.startswith("svmix_"))


@pytest.mark.parametrize("family", _TINY)
def test_model_training_step_reads_nothing_on_the_host(family):
    """Forward + backward of every family (tiny synthetic configs, the speed options applied) never
    converts a tensor to a Python value: no data-dependent branch waits for the device."""
    from svit.engine.compile import apply_model_speed_options
    from svit.models import build_model
    from svit.models.input_size import input_frames

    assert len(_TINY) >= 16  # the glob found the configs (16 families today)
    cfg = load_config(str(_SYNTHETIC / f"{family}_tiny.yaml"), [])
    torch.manual_seed(0)
    model = apply_model_speed_options(cfg, build_model(cfg)).train()
    x = torch.randn(2, 3, input_frames(cfg), cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TRAIN_CROP_SIZE)
    mode = RecordReads()
    with mode:
        for _ in range(2):  # the second step runs with every lazily built constant cached
            out = model(x)
            (out["logits"] if isinstance(out, dict) else out).float().sum().backward()
    assert not mode.reads, dict(mode.reads)

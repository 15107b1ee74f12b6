"""The SVMIX section: SV-Mix (svit/svmix/ and its batch hook svit/engine/hooks/svmix.py; "svmix" in
TRAIN.HOOKS, teacher = the MODEL_EMA copy), after the options of ty-97/Seletive-Volume-Mix.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("SVMIX")
def svmix_section(c: CfgNode) -> None:
    """Adds the ``SVMIX.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Apply SV-Mix in the "svmix" hook; False passes batches through untouched (the baseline run).
    c.ENABLE = False
    # Probability that a batch's online clip is mixed (else lambda = 1; the offline branch still mixes).
    c.MIX_PROB = 1.0
    # Probability of the spatial mode (per batch and process), else the temporal mode.
    c.SWITCH_PROB = 0.5
    # Beta(a, a) parameter of the online lambda in the spatial mode.
    c.SPATIAL_ALPHA = 1.0
    # Beta(a, a) parameter of the online lambda in the temporal mode.
    c.TEMPORAL_ALPHA = 0.8
    # Beta(a, a) parameter of the offline lambda (both modes).
    c.OFFLINE_ALPHA = 1.0
    # Lambda embedding of the selective module: e = lambda - LAMBDA_OFFSET (+e target, -e source tokens).
    c.LAMBDA_OFFSET = 0.5
    # Initial value-weight of the selective module on the lambda channel (value bias starts at 0).
    c.LAMBDA_INIT_WEIGHT = 4.0
    # Query/key width of the selective module as a fraction of the feature channels C (0.5 TSM, 1.0 ViTs).
    c.INTER_RATIO = 1.0
    # Selective-module attention: "sdpa" or "explicit" (softmax(qk^T/sqrt(d))v, for equivalence checks).
    c.ATTN_IMPL = "sdpa"
    # Online lambda <= this or >= 1 - this mixes with the constant mask lambda / 1 - lambda (plain mixup).
    c.EXTREME_LAMBDA = 0.08
    # Mask-area regulariser margin: loss = w * max(0, |1 - mean(offline source mask) - lambda_ofl| - margin).
    c.MASK_LOSS_MARGIN = 0.1
    # Mask-area regulariser weight w.
    c.MASK_LOSS_WEIGHT = 0.1
    # Weight of the offline cross entropy (the EMA model on the offline mix; trains the selective module).
    c.OFFLINE_LOSS_WEIGHT = 1.0
    # Label smoothing of the mixed soft targets (both branches).
    c.LABEL_SMOOTHING = 0.1
    # Selective-module optimiser: "sgd" (its own SGD, momentum MOMENTUM) or "shared" (a param group of the
    # main optimiser with lr x SHARED_LR_SCALE and SOLVER.WEIGHT_DECAY, as the UniFormer project).
    c.OPTIMIZER = "sgd"
    # Base lr of the selective module's own optimiser.
    c.BASE_LR = 0.01
    # SGD momentum of the selective module's own optimiser.
    c.MOMENTUM = 0.9
    # Weight decay of the selective module's own optimiser.
    c.WEIGHT_DECAY = 1e-4
    # Gradient-norm clip of the selective module (own optimiser); <= 0 disables.
    c.GRAD_CLIP = -1.0
    # Selector lr over time: "main" (BASE_LR times the main policy's lr / SOLVER.BASE_LR), "constant"
    # (BASE_LR), or "as_shipped" (the original's never-stepped scheduler: BASE_LR, or BASE_LR x
    # SOLVER.WARMUP_START_LR / SOLVER.BASE_LR constant when SOLVER.WARMUP_EPOCHS > 0). The paper's numbers
    # come from "as_shipped" (the SV-Mix trainer never stepped the selector's scheduler, spec svmix §2.7 B2),
    # which the configs/svmix recipes of those rows set; "main" (the default for new setups) is what the
    # authors evidently intended (run names say "mixlr002") and follows warm-up and decay, but it is not
    # what was run: e.g. it warms a UniFormer selector up to 0.02, 100x the published runs' 2e-4.
    c.LR_SCHEDULE = "main"
    # OPTIMIZER "shared": the selective module's lr multiplier relative to the main lr.
    c.SHARED_LR_SCALE = 5.0

"""Keys of the original SViT / PySlowFast configs that svit accepts but ignores (or renames), and
svit's own keys under their names before a rename.

Their yaml files must keep loading, so these keys are not errors; instead ``load_config`` emits ONE
``LegacyConfigWarning`` listing every such key it met. Each group says why the keys are inert here.
"""
from __future__ import annotations

from typing import Any

# Whole sections that belong to PySlowFast features svit does not implement.
LEGACY_SECTIONS: dict[str, str] = {
    # Spatio-temporal detection (AVA) is not part of svit: no RoI heads, no box evaluation.
    "DETECTION": "detection is not implemented",
    "AVA": "AVA detection is not implemented",
    # Multigrid training changes batch/shape schedules; svit trains at one shape.
    "MULTIGRID": "multigrid training is not implemented",
    # The webcam/video demo of PySlowFast; svit has tools/predict.py instead.
    "DEMO": "the PySlowFast demo is not implemented (use tools/predict.py)",
    # Backbones svit does not build (ResNet/X3D/SlowFast heads of PySlowFast, contrastive SSL, MaskFeat).
    "RESNET": "PySlowFast ResNet backbones are not built (see CNN.*)",
    "X3D": "X3D is not implemented",
    "NONLOCAL": "non-local blocks are not implemented",
    "SLOWFAST": "SlowFast is not implemented",
    "CONTRASTIVE": "contrastive SSL is not implemented",
    "MASK": "masked pre-training is not implemented",
    "BENCHMARK": "use tools/benchmark.py",
    # SViT leftovers from other projects, pointing at cluster paths (keys of github.com/eladb3/SViT's
    # slowfast/config/defaults.py).
    "VG": "SViT leftover from another project",
    "EPICKITCHENS": "SViT leftover from another project",
    "SURREACT": "SViT leftover from another project",
    "PHAV": "SViT leftover from another project",
    # 100 Days of Hands is optional and unused by the shipped SViT config.
    "DOH": "100DOH image data is not used",
}

# Single keys, grouped by why they have no effect.
LEGACY_KEYS: dict[str, str] = {}

# Dead in SViT itself (github.com/eladb3/SViT: defined, never read, or read only by modules missing from the release).
for _k in (
    "TRAIN.ENABLE_DOH",
    "MODEL.LOAD_IN_PRETRAIN",
    "MODEL.ROI_HEAD_ACT_DURING_TRAINING",
    "DEBUG",
    "MVIT.USE_MLP",
    "MVIT.POOL_KV_IGNORE_111_KERNEL",
    "MVIT.IMAGE_KERNEL_FULL_PAD",
    "MVIT.OBJECTS_MASKING",
    "MVIT.PATCH_AVG_TEMP",
    "DATA.TARGET_RES",
):
    LEGACY_KEYS[_k] = "dead in the original SViT"

# Process-role and environment keys: svit draws image batches on every rank and never exports env vars.
for _k in ("IMAGE_TRAIN.GPU_IDS", "CUDA_VISIBLE_DEVICES", "DATA_LOADER.PERSISTENT_WORKERS_TRAIN"):
    LEGACY_KEYS[_k] = "process roles / environment are handled by the launcher"

# PySlowFast data options whose behaviour svit's samplers/transforms fix or do not offer.
for _k in (
    "DATA.USE_OFFSET_SAMPLING",
    "DATA.INV_UNIFORM_SAMPLE",
    "DATA.MULTI_LABEL",
    "DATA.ENSEMBLE_METHOD",
    "DATA.REVERSE_INPUT_CHANNEL",
    "DATA.TRAIN_PCA_EIGVAL",
    "DATA.TRAIN_PCA_EIGVEC",
    "DATA.TRAIN_PCA_JITTER_ONLY",
    "DATA.TRAIN_JITTER_MOTION_SHIFT",
    "DATA.TRAIN_JITTER_FPS",
    "DATA.COLOR_RND_GRAYSCALE",
    "DATA.TIME_DIFF_PROB",
    "DATA.LOADER_CHUNK_SIZE",
    "DATA.LOADER_CHUNK_OVERALL_SIZE",
    "DATA.SKIP_ROWS",
    "DATA.IN22K_TRAINVAL",
    "DATA.IN22K_VAL_IN1K",
    "DATA.SSL_COLOR_JITTER",
    "DATA.SSL_COLOR_BRI_CON_SAT",
    "DATA.SSL_COLOR_HUE",
    "DATA.SSL_MOCOV2_AUG",
    "DATA.SSL_BLUR_SIGMA_MIN",
    "DATA.SSL_BLUR_SIGMA_MAX",
    "DATA.DUMMY_LOAD",
    "DATA_LOADER.ENABLE_MULTI_THREAD_DECODE",
    "TEST.NUM_TEMPORAL_CLIPS",
):
    LEGACY_KEYS[_k] = "PySlowFast data option without an equivalent in svit"

# PySlowFast model/solver/BN options for features svit does not implement.
for _k in (
    "MODEL.FC_INIT_STD",
    "MODEL.SINGLE_PATHWAY_ARCH",
    "MODEL.MULTI_PATHWAY_ARCH",
    "MODEL.DROPCONNECT_RATE",
    "MODEL.DETACH_FINAL_FC",
    "MODEL.FROZEN_BN",
    "MODEL.FP16_ALLREDUCE",
    "BN.NORM_TYPE",
    "BN.NUM_SPLITS",
    "BN.NUM_SYNC_DEVICES",
    "BN.GLOBAL_SYNC",
    "SOLVER.LARS_ON",
    "SOLVER.LAYER_DECAY",
    "SOLVER.GAMMA",
    "SOLVER.STEP_SIZE",
    "TRAIN.CHECKPOINT_CLEAR_NAME_PATTERN",
    "TRAIN.CHECKPOINT_IN_INIT",
    "TRAIN.KILL_LOSS_EXPLOSION_FACTOR",
    "TENSORBOARD.LOG_DIR",
    "TENSORBOARD.CLASS_NAMES_PATH",
    "TENSORBOARD.CATEGORIES_PATH",
    "TENSORBOARD.PREDICTIONS_PATH",
    "TENSORBOARD.CONFUSION_MATRIX",
    "TENSORBOARD.HISTOGRAM",
    "TENSORBOARD.MODEL_VIS",
    "TENSORBOARD.WRONG_PRED_VIS",
    "TASK",
):
    LEGACY_KEYS[_k] = "PySlowFast feature not implemented in svit"

# Further PySlowFast keys met in its released configs (e.g. configs/SSv2/MVITv2_S_16x4.yaml,
# SLOWFAST_16x8_R50_multigrid.yaml): loader prefetching, BN layer constants that svit's models fix
# themselves, the old warm-up factor and crop keys, result paths and MaskFeat masking options.
LEGACY_SECTIONS["PREFETCH"] = "PySlowFast's prefetching loader; DATA_LOADER.* configures loading"
LEGACY_SECTIONS["VIS_MASK"] = "MaskFeat visualisation is not implemented"
for _k in (
    "BN.EPSILON",
    "BN.MOMENTUM",
    "SOLVER.WARMUP_FACTOR",
    "TEST.SAVE_RESULTS_PATH",
    "DATA.CROP_SIZE",
    "DATA.PATH_LABEL_SEPARATOR",
    "DATA.PATH_TO_PRELOAD_IMDB",
    "DATA.DECODING_SHORT_SIZE",
    "DATA.TRAIN_CROP_NUM_TEMPORAL",
    "DATA.TRAIN_CROP_NUM_SPATIAL",
    "AUG.GEN_MASK_LOADER",
    "AUG.MASK_TUBE",
    "AUG.MASK_FRAMES",
    "AUG.MASK_WINDOW_SIZE",
    "AUG.MASK_RATIO",
    "AUG.MAX_MASK_PATCHES_PER_BLOCK",
):
    LEGACY_KEYS.setdefault(_k, "PySlowFast option without an equivalent in svit")

# Keys that were defaults once but never had a reader (tests/config/test_keys_live.py keeps it so):
# models return logits and the evaluator applies the softmax; erasing has no batch splits.
LEGACY_KEYS.setdefault("MODEL.HEAD_ACT", "svit models return logits; the evaluator applies the softmax")
LEGACY_KEYS.setdefault("AUG.RE_SPLIT", "random erasing has no augmentation splits in svit")

# Keys renamed in svit: the value is copied to the listed keys (and the old name is reported).
RENAMED_KEYS: dict[str, tuple[str, ...]] = {
    # SViT read the SSv2 root from here; svit splits it into annotations dir and frames prefix.
    "SSV2.DATA_ROOT": ("DATA.PATH_TO_DATA_DIR", "DATA.PATH_PREFIX"),
    # Activation checkpointing is a model-wide switch in svit.
    "MVIT.ACT_CHECKPOINT": ("MODEL.ACT_CHECKPOINT",),
    # One name per idea across families (docs/ARCHITECTURE.md, "Config"): stochastic depth is
    # DROPPATH_RATE (PySlowFast's MVIT name), DEPTH one integer, DEPTHS a per-stage list.
    "SWIN.DROP_PATH_RATE": ("SWIN.DROPPATH_RATE",),
    "VIVIT.DROP_PATH_RATE": ("VIVIT.DROPPATH_RATE",),
    "UNIFORMER.DROP_PATH_RATE": ("UNIFORMER.DROPPATH_RATE",),
    "UNIFORMER.DEPTH": ("UNIFORMER.DEPTHS",),
    "SIDE4VIDEO.LAYERS": ("SIDE4VIDEO.DEPTH",),
}

# Values that svit replaces: (key, old value) -> new value.
MAPPED_VALUES: dict[tuple[str, str], str | dict] = {
    # SViT configs say torchvision but load JPEG frames; svit's frame reader is "frames".
    ("DATA.DECODING_BACKEND", "torchvision"): "frames",
    # SViT's combined video+image loss is svit's co-training task with a plain video cross-entropy.
    ("MODEL.LOSS_FUNC", "video_image_loss"): {
        "MODEL.LOSS_FUNC": "cross_entropy",
        "TRAIN.TASK": "svit_cotrain",
        "IMAGE_TRAIN.ENABLE": True,
    },
}


def rename_flat(flat: dict[str, Any]) -> dict[str, Any]:
    """``flat`` (dotted key -> value, e.g. a checkpoint's stored config) with every renamed key under
    its new name(s); a new name already present wins (a resolved config never holds both)."""
    out = dict(flat)
    for old, targets in RENAMED_KEYS.items():
        if old in out:
            value = out.pop(old)
            for new in targets:
                out.setdefault(new, value)
    return out


def legacy_reason(full_key: str) -> str | None:
    """Why ``full_key`` is accepted without effect, or None when it is not a legacy key."""
    if full_key in LEGACY_KEYS:
        return LEGACY_KEYS[full_key]
    parts = full_key.split(".")
    for i in range(1, len(parts)):
        prefix = ".".join(parts[:i])
        if prefix in LEGACY_KEYS:
            return LEGACY_KEYS[prefix]
    if parts[0] in LEGACY_SECTIONS:
        return LEGACY_SECTIONS[parts[0]]
    return None

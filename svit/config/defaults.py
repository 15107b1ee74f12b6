"""The shared keys of svit's defaults tree (an fvcore ``CfgNode``): the sections no single part owns.

A registered part's own section (MVIT, SWIN, UNIFORMER, VIVIT, SIDE4VIDEO, CNN, H2CN, SVIT and
IMAGE_TRAIN, SVMIX, SSV2, LIST_DATA, SYNTHETIC, ...) is declared in a ``config.py`` beside its code
(``svit.config.sections``); ``svit.config.get_cfg`` assembles both into the tree users write.
Every key has a one-line comment. YAML files merge over this tree and command-line ``KEY VALUE``
pairs merge last (see ``svit.config.load_config``). Key names follow PySlowFast / SViT where the
concept is the same, so their yaml files carry over. Keys that exist in the original SViT or
PySlowFast configs but do nothing here are listed in ``svit.config.legacy`` and are accepted with a
single warning.

Sections here:
  (top level)  run-wide settings          TRAIN / TEST   phases
  DATA / DATA_LOADER / AUG / MIXUP       data, loading, augmentation, batch mixing
  MODEL                                  what every model family reads
  SOLVER / BN / MODEL_EMA                optimisation, batch norm, weight averaging
  TENSORBOARD / WANDB                    logging
"""

from __future__ import annotations

from fvcore.common.config import CfgNode

_C = CfgNode()

# ---------------------------------------------------------------------------------------------
# Run-wide
# ---------------------------------------------------------------------------------------------
# Number of GPUs per machine (processes spawned per machine); 0 runs on CPU in one process.
_C.NUM_GPUS = 0
# Processes per machine when NUM_GPUS is 0 (gloo on CPU; for testing distributed code paths).
_C.NUM_CPU_PROCS = 1
# Number of machines (shards) taking part in a distributed run.
_C.NUM_SHARDS = 1
# Index of this machine among NUM_SHARDS.
_C.SHARD_ID = 0
# Distributed backend: "auto" picks nccl on GPU and gloo on CPU.
_C.DIST_BACKEND = "auto"
# Where every output (config.yaml, stats.jsonl, checkpoints/, tb/, test results) is written.
_C.OUTPUT_DIR = "./output"
# Seed of Python, NumPy, torch and the data workers.
_C.RNG_SEED = 0
# Log every LOG_PERIOD training iterations (plain log lines; a tqdm bar on a terminal).
_C.LOG_PERIOD = 10
# Print the model summary (parameters and GFLOPs) at the start of a run.
_C.LOG_MODEL_INFO = True
# Pass find_unused_parameters to DistributedDataParallel.
_C.DDP_FIND_UNUSED_PARAMETERS = False
# Make cuDNN deterministic (slower); CPU runs are deterministic with a fixed seed anyway.
_C.DETERMINISTIC = False
# Python modules imported before the config tree is built, e.g. [my_pkg.my_parts]: their registered
# parts (models, adapters, datasets, hooks, tasks, metrics) and config sections become usable by name.
# Read from the yaml/command line before the merge; installed packages can instead declare an entry
# point in the "svit.plugins" group (see docs/ARCHITECTURE.md, "Plugins").
_C.PLUGINS = []

# ---------------------------------------------------------------------------------------------
# Training phase
# ---------------------------------------------------------------------------------------------
_C.TRAIN = CfgNode()
# Run training.
_C.TRAIN.ENABLE = True
# Registered training dataset (svit.data registry), e.g. ssv2, kinetics, tsn_list, ibm_list.
_C.TRAIN.DATASET = "ssv2"
# Global batch size: clips per optimiser step summed over all processes (PySlowFast convention).
_C.TRAIN.BATCH_SIZE = 64
# Registered training task (svit.engine.tasks): what one step computes from a batch.
_C.TRAIN.TASK = "classification"
# Run validation every EVAL_PERIOD epochs (and after the last epoch); 0 disables it.
_C.TRAIN.EVAL_PERIOD = 1
# Registered metrics (svit.engine.metrics, as TEST.METRICS) whose entries each validation adds to its
# stats.jsonl val_epoch row, log line and TensorBoard val_epoch/* tags, after "loss"; "topk" gives top1, top5.
# Validation is single view and writes no files (the "confusion" metric adds nothing here).
_C.TRAIN.EVAL_METRICS = ["topk"]
# Save a checkpoint every CHECKPOINT_PERIOD epochs (and after the last epoch).
_C.TRAIN.CHECKPOINT_PERIOD = 1
# Redraw OUTPUT_DIR/stats.png (loss terms, accuracy, lr, step time, online vs EMA; svit/vis/plots.py) from
# stats.jsonl at the end of every epoch, on the main process; a failure to plot only logs a warning.
_C.TRAIN.PLOT_STATS = True
# Resume from the newest checkpoint in OUTPUT_DIR/checkpoints if there is one.
_C.TRAIN.AUTO_RESUME = True
# A fresh run into an OUTPUT_DIR holding another run: True deletes that run's checkpoints, stats,
# events and results first; False refuses to start (resume instead with AUTO_RESUME).
_C.TRAIN.OVERWRITE = False
# Keep only the newest N epoch checkpoints in OUTPUT_DIR/checkpoints (0 = keep all).
_C.TRAIN.KEEP_LAST_CHECKPOINTS = 0
# Resume from this checkpoint of ours (weights, optimiser, scaler, epoch, EMA, hooks) instead of the
# newest one in OUTPUT_DIR; tools/run_net.py --resume PATH sets it. "" = AUTO_RESUME decides.
_C.TRAIN.RESUME_FROM = ""
# Initialise from this checkpoint (PySlowFast .pyth or a plain state dict) when not resuming.
_C.TRAIN.CHECKPOINT_FILE_PATH = ""
# Checkpoint format of CHECKPOINT_FILE_PATH: "pytorch" (PySlowFast/plain), "ibm", "tsm", "auto".
_C.TRAIN.CHECKPOINT_TYPE = "pytorch"
# Start at epoch 0 and skip optimiser state when initialising from CHECKPOINT_FILE_PATH.
_C.TRAIN.CHECKPOINT_EPOCH_RESET = True
# Also load the optimiser state from CHECKPOINT_FILE_PATH (fine-tuning usually does not).
_C.TRAIN.CHECKPOINT_LOAD_OPTIMIZER = False
# Pairs (old, new) of substrings renamed in checkpoint keys before loading.
_C.TRAIN.CHECKPOINT_REPLACE_NAME_PATTERN = []
# Least share (0..1) of the model's weights outside its head (elements of floating tensors) that an
# initialisation (CHECKPOINT_FILE_PATH, CLIP/ImageNet weights, the test fallback) must set, else an
# error naming the file. Measured on the shipped configs: ViViT-S from DeiT-S 0.76, Side4Video B/16
# from CLIP 0.80, R(2+1)D/S3D inflated 0.86, SViT from K400 MViTv2-S, TSM/TAM/I3D/H2CN from ImageNet
# >= 0.99; a file of another model ~0. 0 accepts any partial load on purpose.
_C.TRAIN.CHECKPOINT_MIN_LOADED = 0.5
# Interpolate relative-position tables whose length differs (MViT with another input size).
_C.TRAIN.CHECKPOINT_INFLATE = False
# Mixed precision (torch.amp autocast) for training and evaluation.
_C.TRAIN.MIXED_PRECISION = False
# torch.compile the training model (svit/engine/compile.py); the first steps are slower while it compiles.
_C.TRAIN.COMPILE = False
# torch.compile mode when TRAIN.COMPILE: default, reduce-overhead (CUDA graphs), max-autotune,
# max-autotune-no-cudagraphs.
_C.TRAIN.COMPILE_MODE = "default"
# Autocast dtype: "bfloat16" or "float16" (float16 uses a GradScaler).
_C.TRAIN.MIXED_PRECISION_DTYPE = "float16"
# Accumulate gradients over this many micro-batches per optimiser step.
_C.TRAIN.GRAD_ACCUM_STEPS = 1
# Run only one validation pass (no training).
_C.TRAIN.VAL_ONLY = False
# SViT: run the no-grad per-frame pass whose object tokens feed the consistency loss.
_C.TRAIN.FORWARD_VIDEO_FRAMES = True
# Stop training after this many optimiser steps per epoch (0 = the whole loader; smoke tests).
_C.TRAIN.MAX_STEPS_PER_EPOCH = 0
# Registered batch hooks (svit.engine.hooks) applied in order around every training step, with any
# TRAIN.TASK; MIXUP.ENABLE adds MIXUP.METHOD in front of them.
_C.TRAIN.HOOKS = []

# ---------------------------------------------------------------------------------------------
# Test phase (multi-view)
# ---------------------------------------------------------------------------------------------
_C.TEST = CfgNode()
# Run the multi-view test after training (or alone with TRAIN.ENABLE False).
_C.TEST.ENABLE = True
# Registered test dataset.
_C.TEST.DATASET = "ssv2"
# Global test batch size (views per step over all processes).
_C.TEST.BATCH_SIZE = 8
# Checkpoint to test; empty = the newest in OUTPUT_DIR/checkpoints, else TRAIN.CHECKPOINT_FILE_PATH.
_C.TEST.CHECKPOINT_FILE_PATH = ""
# Format of TEST.CHECKPOINT_FILE_PATH (see TRAIN.CHECKPOINT_TYPE).
_C.TEST.CHECKPOINT_TYPE = "pytorch"
# Temporal clips per video in the test.
_C.TEST.NUM_ENSEMBLE_VIEWS = 1
# Spatial crops per clip: 1 (centre) or 3 (left/centre/right or top/centre/bottom).
_C.TEST.NUM_SPATIAL_CROPS = 3
# Offsets of those crops: "slowfast" (0, ceil((L-S)/2), L-S) or "ibm" (IBM/TSM GroupOverSample: 0, 2, 4 x (L-S)//4).
_C.TEST.CROP_GRID = "slowfast"
# How view scores are combined: "sum", "mean" or "max" of softmax scores.
_C.TEST.ENSEMBLE_METHOD = "mean"
# Write per-video scores (OUTPUT_DIR/test_scores.npz + .json index) for ensembling later.
_C.TEST.SAVE_RESULTS = True
# Registered test metrics (svit.engine.metrics) whose entries open test_results.json, in order: "topk"
# (top1, top5), "mean_class_accuracy", "confusion" (per_class_accuracy.csv, confusion_matrix.csv/.png).
_C.TEST.METRICS = ["topk", "mean_class_accuracy", "confusion"]
# Split evaluated by the test phase: "val" (SSv2 validation) or "test" (a labelled test list).
_C.TEST.SPLIT = "val"
# Named test protocol of a seed paper ("" = the TEST.* keys as set): tdn, ibm, svmix, side4video, side4video_ss.
_C.TEST.PROTOCOL = ""
# Validation, test and predict forwards replayed from CUDA graphs, one per batch shape (at most 4): removes the
# per-kernel launch cost that bounds small-batch evaluation on fast GPUs. CUDA only (ignored with a warning on CPU).
_C.TEST.CUDA_GRAPHS = False

# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
_C.DATA = CfgNode()
# Folder holding annotations (label map, split lists, bbox_jsons/) or list files.
_C.DATA.PATH_TO_DATA_DIR = ""
# Folder holding frames/videos; paths in lists are relative to it. Empty = PATH_TO_DATA_DIR.
_C.DATA.PATH_PREFIX = ""
# Where frames come from: "frames" (image folders), or videos via "pyav", "torchcodec" or "decord" (if installed).
_C.DATA.DECODING_BACKEND = "frames"
# Input frames per clip.
_C.DATA.NUM_FRAMES = 16
# Frame step of dense sampling (Kinetics style); unused by segment sampling.
_C.DATA.SAMPLING_RATE = 4
# Temporal sampling: "segment" (TSN/SSv2 uniform segments) or "dense" (NUM_FRAMES x SAMPLING_RATE).
_C.DATA.SAMPLING = "segment"
# Frames per segment for snippet sampling (H2CN uses 5 consecutive frames); 1 = one frame.
_C.DATA.FRAMES_PER_SEGMENT = 1
# Target frames per second when decoding videos (pyav); 0 keeps the native rate.
_C.DATA.TARGET_FPS = 0
# Crop size for training.
_C.DATA.TRAIN_CROP_SIZE = 224
# Crop size for validation and test.
_C.DATA.TEST_CROP_SIZE = 224
# Short-side jitter range [min, max] for training (used when TRAIN_JITTER_SCALES_RELATIVE is empty).
_C.DATA.TRAIN_JITTER_SCALES = [256, 320]
# RandomResizedCrop area range; empty list = short-side jitter + random crop.
_C.DATA.TRAIN_JITTER_SCALES_RELATIVE = []
# RandomResizedCrop aspect-ratio range.
_C.DATA.TRAIN_JITTER_ASPECT_RELATIVE = []
# Per-channel mean subtracted after dividing by 255.
_C.DATA.MEAN = [0.45, 0.45, 0.45]
# Per-channel std divided by after subtracting the mean.
_C.DATA.STD = [0.225, 0.225, 0.225]
# Channel order fed to the model: "RGB" or "BGR" (the released SViT checkpoint expects BGR).
_C.DATA.CHANNEL_ORDER = "RGB"
# Random horizontal flip in training (with the dataset's left/right class swap).
_C.DATA.RANDOM_FLIP = True
# Channels of each input pathway.
_C.DATA.INPUT_CHANNEL_NUM = [3]
# Videos without box annotations: "skip" (the original SViT) or "keep" (empty box masks).
_C.DATA.MISSING_BOXES = "keep"
# Box files whose boxes do not fit the frame (beyond DATA.BOX_TOLERANCE, or wholly outside it): "error" =
# the video is a bad sample (replaced in training, no prediction in evaluation, counted against
# DATA.MAX_BAD_FRACTION), "drop" = the video is used without boxes, with a WARNING naming the file.
_C.DATA.BAD_BOXES = "error"
# How far a box may reach outside the frame, as a fraction of its width/height, and still be clipped to it.
_C.DATA.BOX_TOLERANCE = 0.05
# Fail the run when more than this fraction of samples were unreadable and skipped.
_C.DATA.MAX_BAD_FRACTION = 0.01
# Frame file name template inside a video folder (format() gets the frame number).
_C.DATA.FRAME_TEMPLATE = "{:04d}.jpg"
# Number of the first frame file in a folder.
_C.DATA.FRAME_START_INDEX = 1
# Label map JSON (template/class name -> index) overriding the dataset's own; empty = default.
_C.DATA.LABEL_MAP_FILE = ""
# Short side val/test frames are resized to before cropping; 0 = TEST_CROP_SIZE (SViT protocol).
_C.DATA.TEST_SCALE_SIZE = 0
# Box slots per frame delivered by box-aware sources (2 hands + 2 objects).
_C.DATA.NUM_BOXES = 4
# Training crop: "auto" (rrc if TRAIN_JITTER_SCALES_RELATIVE is set, else jitter), "rrc", "jitter", "tsn_multiscale".
_C.DATA.TRAIN_CROP_MODE = "auto"
# Replacement attempts for an unreadable sample before the run stops with an error.
_C.DATA.MAX_RETRIES = 10
# Resize every frame to [H, W] first, ignoring aspect (H2CN: [240, 320]); empty = keep the decoded size.
_C.DATA.RESIZE_HW = []
# Frame folder with holes or a count unlike the list's: "error" (bad sample) or "skip" (read what is there, warn).
_C.DATA.FRAME_GAPS = "error"
# Videos decoding to fewer than (1 - this) x the header's frame count are bad samples (truncated); negative = no check.
_C.DATA.DECODE_TOLERANCE = 0.1

# ---------------------------------------------------------------------------------------------
# Data loading
# ---------------------------------------------------------------------------------------------
_C.DATA_LOADER = CfgNode()
# Worker processes per data loader.
_C.DATA_LOADER.NUM_WORKERS = 4
# Workers for validation/test loaders; -1 = NUM_WORKERS.
_C.DATA_LOADER.NUM_WORKERS_VAL = -1
# Pin host memory (speeds host-to-GPU copies).
_C.DATA_LOADER.PIN_MEMORY = True
# Keep workers alive across epochs.
_C.DATA_LOADER.PERSISTENT_WORKERS = True
# Batches prefetched per worker.
_C.DATA_LOADER.PREFETCH_FACTOR = 2

# ---------------------------------------------------------------------------------------------
# Augmentation
# ---------------------------------------------------------------------------------------------
_C.AUG = CfgNode()
# Enable RandAugment + random erasing for training clips.
_C.AUG.ENABLE = False
# timm-style RandAugment string, e.g. rand-m7-n4-mstd0.5-inc1.
_C.AUG.AA_TYPE = "rand-m7-n4-mstd0.5-inc1"
# Resampling used by the geometric RandAugment ops: bilinear or bicubic.
_C.AUG.INTERPOLATION = "bicubic"
# Train-augment engine: "cv2" clip-wise, fast (OpenCV cubic != PIL's: mean |diff| < 1 grey); "pil" exact per-frame path.
_C.AUG.BACKEND = "cv2"
# Random erasing probability.
_C.AUG.RE_PROB = 0.25
# Random erasing fill: "pixel" (per-pixel N(0,1)), "rand" (per-channel), "const" (zeros).
_C.AUG.RE_MODE = "pixel"
# Number of erased rectangles.
_C.AUG.RE_COUNT = 1
# Augmented copies per sample (repeated augmentation); 1 = none.
_C.AUG.NUM_SAMPLE = 1
# Colour jitter strength when RandAugment is off (0 disables).
_C.AUG.COLOR_JITTER = 0.0

# ---------------------------------------------------------------------------------------------
# Batch mixing (mixup / cutmix / SV-Mix), applied by a registered mixing hook
# ---------------------------------------------------------------------------------------------
_C.MIXUP = CfgNode()
# Enable batch mixing.
_C.MIXUP.ENABLE = False
# Registered mixer (svit.engine.mixing): "mixup_cutmix".
_C.MIXUP.METHOD = "mixup_cutmix"
# Mixup Beta(alpha, alpha); 0 disables mixup.
_C.MIXUP.ALPHA = 0.8
# Cutmix Beta(alpha, alpha); 0 disables cutmix.
_C.MIXUP.CUTMIX_ALPHA = 1.0
# Probability of mixing a batch at all.
_C.MIXUP.PROB = 1.0
# Probability of cutmix instead of mixup when both are on.
_C.MIXUP.SWITCH_PROB = 0.5
# Label smoothing of the soft targets.
_C.MIXUP.LABEL_SMOOTH_VALUE = 0.1

# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------
_C.MODEL = CfgNode()
# Architecture family (informative; the registered MODEL_NAME decides what is built).
_C.MODEL.ARCH = "mvit"
# Registered model builder (svit.models registry): MViT, SViT, TSN, TSM, TAM, I3D, S3D, H2CN, ...
_C.MODEL.MODEL_NAME = "MViT"
# Number of classes; a dataset that knows its count (label map, class names, LIST_DATA.NUM_CLASSES, a
# train list's labels) overrides it, with a WARNING naming both numbers when they differ.
_C.MODEL.NUM_CLASSES = 174
# Registered loss for the video term: cross_entropy, soft_cross_entropy.
_C.MODEL.LOSS_FUNC = "cross_entropy"
# Dropout before the classifier.
_C.MODEL.DROPOUT_RATE = 0.5
# Activation checkpointing of the backbone blocks (saves memory, costs a re-forward).
_C.MODEL.ACT_CHECKPOINT = False
# Label smoothing of the hard-label cross-entropy.
_C.MODEL.LABEL_SMOOTHING = 0.0
# Attention implementation for MViT/SViT/VideoSwin/UniFormer/ViViT: "sdpa" (scaled_dot_product_attention) or "explicit";
# MViT/SViT also take "sdpa_mask" (rel-pos bias as a float mask, the former sdpa) and "flex" (FlexAttention score_mod).
_C.MODEL.ATTN_IMPL = "sdpa"
# Every depthwise Conv3d (groups == in_channels, any family): "fast" = svit::depthwise_conv3d (CUDA: native kernels,
# cuDNN off, one opaque op under torch.compile; CPU: grouped-conv weight grad), "plain" = nn.Conv3d, "auto" = fast on
# CUDA and where it is faster on CPU, plain while torch.jit traces (FLOP counts); svit/models/layers/depthwise.py.
_C.MODEL.DEPTHWISE_CONV_IMPL = "auto"

# ---------------------------------------------------------------------------------------------
# Optimisation
# ---------------------------------------------------------------------------------------------
_C.SOLVER = CfgNode()
# Optimiser: sgd or adamw.
_C.SOLVER.OPTIMIZING_METHOD = "sgd"
# Base learning rate (for the global batch).
_C.SOLVER.BASE_LR = 0.1
# Multiply BASE_LR by NUM_SHARDS (PySlowFast option).
_C.SOLVER.BASE_LR_SCALE_NUM_SHARDS = False
# Learning rate policy: cosine, steps_with_relative_lrs, constant.
_C.SOLVER.LR_POLICY = "cosine"
# Final learning rate of the cosine policy.
_C.SOLVER.COSINE_END_LR = 0.0
# Cosine starts after the warm-up instead of at epoch 0.
_C.SOLVER.COSINE_AFTER_WARMUP = False
# Epoch boundaries of the steps policy (first entry 0).
_C.SOLVER.STEPS = []
# Relative learning rates of the steps policy (one per entry of STEPS).
_C.SOLVER.LRS = []
# Number of training epochs.
_C.SOLVER.MAX_EPOCH = 300
# SGD momentum.
_C.SOLVER.MOMENTUM = 0.9
# SGD dampening.
_C.SOLVER.DAMPENING = 0.0
# SGD Nesterov momentum.
_C.SOLVER.NESTEROV = True
# AdamW betas.
_C.SOLVER.BETAS = [0.9, 0.999]
# Optimiser epsilon (AdamW).
_C.SOLVER.EPS = 1e-8
# Use the fused step of AdamW/SGD when every parameter is on a CUDA device (fewer kernels; no host wait
# for the fp16 GradScaler's overflow check).
_C.SOLVER.FUSED = True
# L2 weight decay.
_C.SOLVER.WEIGHT_DECAY = 1e-4
# Linear warm-up length in epochs (fractional allowed).
_C.SOLVER.WARMUP_EPOCHS = 0.0
# Learning rate at the start of the warm-up.
_C.SOLVER.WARMUP_START_LR = 0.01
# No weight decay on 1-D parameters (norms, biases) and on the names the model lists.
_C.SOLVER.ZERO_WD_1D_PARAM = False
# Gradient clipping by global L2 norm; 0/None disables.
_C.SOLVER.CLIP_GRAD_L2NORM = 0.0
# Gradient clipping by value; 0/None disables.
_C.SOLVER.CLIP_GRAD_VAL = 0.0
# Weight decay of batch-norm parameters.
_C.SOLVER.BN_WEIGHT_DECAY = 0.0
# Per-parameter lr/weight-decay multipliers: list of [regex, lr_mult, wd_mult], searched in parameter
# names in order (first match wins); each pattern must match some parameter.
_C.SOLVER.PARAM_GROUPS = []

_C.BN = CfgNode()
# Recompute BN statistics precisely (fvcore) before each validation.
_C.BN.USE_PRECISE_STATS = False
# Batches used for precise BN statistics.
_C.BN.NUM_BATCHES_PRECISE = 200
# Weight decay of BN parameters (same as SOLVER.BN_WEIGHT_DECAY; PySlowFast name).
_C.BN.WEIGHT_DECAY = 0.0

# ---------------------------------------------------------------------------------------------
# Model EMA (exponential moving average of the weights, evaluated next to the online model)
# ---------------------------------------------------------------------------------------------
_C.MODEL_EMA = CfgNode()
# Keep an EMA copy of the model (checkpointed; validation and test report both models).
_C.MODEL_EMA.ENABLE = False
# EMA decay d in (0, 1): ema = d * ema + (1 - d) * online after each update.
_C.MODEL_EMA.DECAY = 0.9998
# Average floating-point buffers (BN statistics) too; False leaves the EMA's buffers to its own forwards.
_C.MODEL_EMA.UPDATE_BUFFERS = True
# Update the EMA every UPDATE_PERIOD optimiser steps.
_C.MODEL_EMA.UPDATE_PERIOD = 1
# Model that tools/predict.py and the top-level test_results.json fields use: "online" or "ema".
_C.MODEL_EMA.EVAL_MODEL = "online"

_C.TENSORBOARD = CfgNode()
# Write TensorBoard events to OUTPUT_DIR/tb (view with: tensorboard --logdir OUTPUT_DIR/tb).
_C.TENSORBOARD.ENABLE = True

# Optional Weights & Biases logging (the wandb package is imported only when enabled).
_C.WANDB = CfgNode()
# Log the training steps' and epochs' scalars (train and validation) to Weights & Biases (rank 0).
_C.WANDB.ENABLE = False
# W&B project name.
_C.WANDB.PROJECT = "svit"
# W&B run name; empty = the basename of OUTPUT_DIR.
_C.WANDB.RUN_NAME = ""
# W&B mode: "online", "offline" (sync later with `wandb sync`) or "disabled".
_C.WANDB.MODE = "online"


def shared_cfg() -> CfgNode:
    """A fresh copy of the shared keys only; ``svit.config.get_cfg`` adds every part's section."""
    return _C.clone()


def get_cfg() -> CfgNode:
    """The whole defaults tree, as ``svit.config.get_cfg`` (this module's old entry point)."""
    from svit.config.assemble import get_cfg as assembled  # assemble imports this module: no cycle at import

    return assembled()

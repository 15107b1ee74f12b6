#!/usr/bin/env bash
# GPU speed check of SViT (configs/ssv2.yaml) against the original code (issue 13), on one H100/H200,
# about 8 minutes: tools/speed_vs_original.py side by side in one process (equal-output check; the
# original in fp16 and bf16; ours; ours with CUDA graphs: evaluation via TEST.CUDA_GRAPHS, training via
# make_graphed_callables), pooling-conv micro-benchmark and top kernels; then ours under torch.compile
# (per block, then the whole model: compilation takes minutes); then tools/benchmark.py model once (MFU,
# launches). JSON rows and logs land in OUT_DIR.
# Usage: bash tools/gpu_check.sh ORIGINAL_ROOT [OUT_DIR]   (ORIGINAL_ROOT: a checkout of eladb3/SViT)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=${1:?usage: gpu_check.sh ORIGINAL_ROOT [OUT_DIR]}
OUT_DIR=${2:-gpu_check_out}
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT_DIR/gpu.txt"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT_DIR/gpu.txt"
S="python tools/speed_vs_original.py --original-root $ROOT"
timeout 240 $S --batch-size 8 16 32 --variants original-fp16 original-bf16 ours-bf16 ours-bf16-graphs \
  --conv-micro --top-kernels --json "$OUT_DIR/eager.json" 2>&1 | grep -v Warning | tee "$OUT_DIR/eager.log"
timeout 150 $S --no-check --batch-size 8 32 --variants ours-bf16-compile-blocks \
  --json "$OUT_DIR/compile_blocks.json" 2>&1 | grep -v Warning | tail -20
timeout 150 $S --no-check --batch-size 8 --variants ours-bf16-compile \
  --json "$OUT_DIR/compile.json" 2>&1 | grep -v Warning | tail -8
timeout 45 python tools/benchmark.py model --cfg configs/ssv2.yaml --amp bf16 --batch-size 8 --modes train \
  --warmup 2 --iters 3 --json "$OUT_DIR/bench.json" 2>&1 | grep -v Warning | tail -6

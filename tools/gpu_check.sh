#!/usr/bin/env bash
# GPU speed check of SViT (configs/ssv2.yaml) for issue 13, one H100/H200, about 6-8 minutes.
# Training and evaluation at batch 8/16/32 in bf16, eager and torch.compile, new default paths
# (fused rel-pos SDPA + fast pooling convs) against today's (sdpa_mask + cuDNN pooling convs) in the
# same run; JSON rows (clips/s, peak memory, MFU, kernels per step) in $OUT_DIR.
# Usage: bash tools/gpu_check.sh [OUT_DIR]        (default gpu_check_out)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-gpu_check_out}
mkdir -p "$OUT_DIR"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT_DIR/gpu.txt"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT_DIR/gpu.txt"
B="python tools/benchmark.py model --cfg configs/ssv2.yaml --amp bf16 --batch-size 8 16 32 --warmup 3 --iters 5"
# 1. today's paths (float-mask SDPA, cuDNN pooling convs), eager
$B --attn-impl sdpa_mask --opts MVIT.POOL_CONV_IMPL plain --json "$OUT_DIR/today_eager.json"
# 2. new default paths, eager
$B --attn-impl sdpa --json "$OUT_DIR/new_eager.json"
# 3. new default paths, torch.compile (inductor chooses the pooling-conv kernels while compiling)
timeout 300 $B --attn-impl sdpa --compile --no-profile --json "$OUT_DIR/new_compile.json" || echo "compile run stopped"
# 4. FlexAttention score_mod path, compiled (train+eval at batch 8 only: it compiles its own kernels)
timeout 150 python tools/benchmark.py model --cfg configs/ssv2.yaml --amp bf16 --batch-size 8 --warmup 3 --iters 5 \
  --attn-impl flex --compile --no-profile --json "$OUT_DIR/flex_compile.json" || echo "flex path failed (see above)"
python - "$OUT_DIR" <<'PY'
import json, sys, glob, os
rows = [r for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))) for r in json.load(open(f))]
print(f"{'attn':<10}{'pool':<7}{'compile':<8}{'mode':<6}{'batch':>6}{'clips/s':>10}{'peak GB':>9}{'MFU':>7}{'kernels':>9}")
for r in rows:
    if "error" in r:
        print(r["attn_impl"], r["mode"], r["batch_size"], r["error"][:80]); continue
    mfu = "-" if r["mfu"] is None else f"{100 * r['mfu']:.1f}%"
    mem = "-" if r["peak_mem_gb"] is None else f"{r['peak_mem_gb']:.1f}"
    print(f"{r['attn_impl']:<10}{r['pool_conv_impl']:<7}{str(r['compile']):<8}{r['mode']:<6}{r['batch_size']:>6}"
          f"{r['clips_per_s']:>10.2f}{mem:>9}{mfu:>7}{str(r['kernels_per_step']):>9}")
PY

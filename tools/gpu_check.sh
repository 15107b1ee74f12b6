#!/usr/bin/env bash
# GPU speed check of issue 13 on one H100/H200, in sections (each fits one 10-minute device call):
#   svit      (~4.5 min) tools/speed_vs_original.py: SViT (configs/ssv2.yaml) against the original eladb3/SViT
#             side by side in one process after the equal-output check; the original in fp16 and bf16, ours in
#             bf16, ours with CUDA graphs (evaluation via TEST.CUDA_GRAPHS, training via make_graphed_callables);
#             batch 8/16/32; pooling-conv micro-benchmark and top kernels
#   families  (~3.5 min) tools/benchmark.py model, bf16 training at batch 8, MODEL.DEPTHWISE_CONV_IMPL plain
#             (cuDNN) against auto (native depthwise kernels) for UniFormer-S, H2CN-R50 and S3D-Inception
#   compile   (~2.5 min) ours under torch.compile, each transformer block compiled alone, batch 8 and 32
#   engine    (~4 min) the engine's real step (tools/run_net.py, configs/ssv2.yaml, bf16, batch 8, 14 data workers)
#             on generated synthetic SSv2 (240x240 frames): video-only classification, then SViT co-training;
#             step_time/data_time per 10 steps in OUT_DIR/engine_*.jsonl, to set against the bare step's clips/s
# JSON rows and logs land in OUT_DIR.
# Usage: bash tools/gpu_check.sh ORIGINAL_ROOT [OUT_DIR] [SECTION ...]   (default sections: svit families;
#        ORIGINAL_ROOT: a checkout of eladb3/SViT, used by the svit and compile sections)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=${1:?usage: gpu_check.sh ORIGINAL_ROOT [OUT_DIR] [SECTION ...]}
OUT_DIR=${2:-gpu_check_out}
shift $(( $# < 2 ? $# : 2 ))
SECTIONS=${*:-svit families}
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT_DIR/gpu.txt"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT_DIR/gpu.txt"
S="python tools/speed_vs_original.py --original-root $ROOT"
for section in $SECTIONS; do
  case $section in
    svit)
      timeout 270 $S --batch-size 8 16 32 --variants original-fp16 original-bf16 ours-bf16 ours-bf16-graphs \
        --conv-micro --top-kernels --json "$OUT_DIR/eager.json" 2>&1 | grep -v Warning | tee "$OUT_DIR/eager.log" ;;
    families)
      for cfg in configs/uniformer/ssv2_uniformer_s16.yaml configs/cnn/ssv2/h2cn_r50_f8.yaml \
                 configs/cnn/ssv2/s3d_inception_f8.yaml; do
        for impl in plain auto; do
          name=$(basename "$cfg" .yaml)_$impl
          timeout 35 python tools/benchmark.py model --cfg "$cfg" --amp bf16 --batch-size 8 --modes train \
            --warmup 2 --iters 4 --no-flops --json "$OUT_DIR/$name.json" MODEL.DEPTHWISE_CONV_IMPL $impl \
            CNN.DW_T_CONV True 2>&1 | grep -v Warning | tail -2 | sed "s|^|$name: |"
        done
      done ;;
    compile)
      timeout 150 $S --no-check --batch-size 8 32 --variants ours-bf16 ours-bf16-compile-blocks \
        --json "$OUT_DIR/compile_blocks.json" 2>&1 | grep -v Warning | tail -20 ;;
    engine)
      E="python tools/run_net.py --cfg configs/ssv2.yaml TRAIN.DATASET synthetic_ssv2 TEST.ENABLE False
         TRAIN.EVAL_PERIOD 0 SYNTHETIC.NUM_VIDEOS 160 SYNTHETIC.FRAME_SIZE 240 SYNTHETIC.WORKERS 16
         SYNTHETIC.WRITE_VIDEOS False SYNTHETIC.ROOT /tmp/svit_synthetic NUM_GPUS 1 TRAIN.BATCH_SIZE 8
         DATA_LOADER.NUM_WORKERS 14 TRAIN.MAX_STEPS_PER_EPOCH 60 SOLVER.MAX_EPOCH 1 LOG_PERIOD 10
         TRAIN.MIXED_PRECISION_DTYPE bfloat16 TRAIN.OVERWRITE True"
      timeout 150 $E OUTPUT_DIR /tmp/svit_engine_cls TRAIN.TASK classification IMAGE_TRAIN.ENABLE False 2>&1 \
        | grep -v Warning | grep "iter\|Error" | tail -7
      cp /tmp/svit_engine_cls/stats.jsonl "$OUT_DIR/engine_cls.jsonl"
      timeout 150 $E OUTPUT_DIR /tmp/svit_engine_cotrain IMAGE_TRAIN.BATCH_SIZE 8 \
        IMAGE_TRAIN.DATASETS "['synthetic_ssv2_frames']" 2>&1 | grep -v Warning | grep "iter\|Error" | tail -7
      cp /tmp/svit_engine_cotrain/stats.jsonl "$OUT_DIR/engine_cotrain.jsonl" ;;
    *) echo "unknown section $section (svit, families, compile, engine)"; exit 2 ;;
  esac
done

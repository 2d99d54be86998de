#!/usr/bin/env bash
# The COCO-mini benchmark on the GPU device machine (no network): all
# methods x 3 seeds, then training speed/memory with AMP off and on.
# Expects the stack wheels and coco-mini under $DEV (default .device):
#   $DEV/setup.sh, $DEV/device-py312/*.whl, $DEV/coco-mini/{annotations,images}
# Optional: EVAL_ANN and EVAL_IMG name a held-out COCO-format set.
# Results go to $OUT (default work_dirs/bench_gpu).
set -euo pipefail
DEV=${DEV:-.device}
OUT=${OUT:-work_dirs/bench_gpu}
WORK=${WORK:-/tmp/mmcasp_bench_coco_mini}
mkdir -p "$OUT" "$WORK"
source "$DEV/setup.sh" "$DEV/device-py312"
export PYTHONPATH="$PWD:$PYTHONPATH"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
EXTRA=()
if [ -n "${EVAL_ANN:-}" ]; then EXTRA=(--eval-set held_out "$EVAL_ANN" "$EVAL_IMG"); fi
t0=$(date +%s)
python benchmarks/coco_mini.py --data-root "$DEV/coco-mini" --profile gpu \
  --seeds ${SEEDS:-0 1 2} --work-dir "$WORK" --out "$OUT/coco_mini_gpu" "${EXTRA[@]}" \
  > "$OUT/coco_mini.log" 2>&1
echo "benchmark: $(( $(date +%s) - t0 )) s" | tee -a "$OUT/summary.txt"
python benchmarks/train_speed.py --data-root "$DEV/coco-mini" --batch 8 --size 512 \
  --workers 8 --out "$OUT/train_speed_gpu.json" | tee -a "$OUT/summary.txt"

#!/usr/bin/env bash
# The COCO-mini benchmark on the GPU device machine (no network).
# Expects the stack wheels and coco-mini under $DEV (default .device):
#   $DEV/setup.sh, $DEV/device-py312/*.whl, $DEV/coco-mini/{annotations,images}
# A device call may run 10 minutes, so run one seed per call and merge here:
#   SEEDS=0 bash benchmarks/gpu_coco_mini.sh      # device call 1 (then 1, 2)
#   SPEED=1 bash benchmarks/gpu_coco_mini.sh      # device call 4: train speed
#   python benchmarks/coco_mini.py --combine <fetched>/coco_mini_gpu_seed*.json \
#       --work-dir work_dirs/bench_gpu --out docs/bench_results/coco_mini_gpu
# The table, runs JSON and plot are rewritten after every (method, seed), so
# a call that runs out of time still returns what finished.
# Optional: EVAL_ANN and EVAL_IMG name a held-out COCO-format set.
# Results go to $OUT (default work_dirs/bench_gpu); checkpoints stay in $WORK.
set -euo pipefail
DEV=${DEV:-.device}
OUT=${OUT:-work_dirs/bench_gpu}
WORK=${WORK:-/tmp/mmcasp_bench_coco_mini}
SEEDS=${SEEDS:-0 1 2}
mkdir -p "$OUT" "$WORK"
source "$DEV/setup.sh" "$DEV/device-py312"
export PYTHONPATH="$PWD:$PYTHONPATH"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
if [ "${SPEED:-0}" = 1 ]; then
  python benchmarks/train_speed.py --data-root "$DEV/coco-mini" --batch 8 --size 512 \
    --workers 8 --out "$OUT/train_speed_gpu.json" | tee -a "$OUT/summary.txt"
  exit 0
fi
EXTRA=()
if [ -n "${EVAL_ANN:-}" ]; then EXTRA=(--eval-set held_out "$EVAL_ANN" "$EVAL_IMG"); fi
t0=$(date +%s)
# shellcheck disable=SC2086  # SEEDS is a list
python benchmarks/coco_mini.py --data-root "$DEV/coco-mini" --profile gpu \
  --seeds $SEEDS --work-dir "$WORK" --out "$OUT/coco_mini_gpu_seed${SEEDS// /_}" \
  "${EXTRA[@]}" > "$OUT/coco_mini_seed${SEEDS// /_}.log" 2>&1
echo "benchmark, seeds $SEEDS: $(( $(date +%s) - t0 )) s" | tee -a "$OUT/summary.txt"

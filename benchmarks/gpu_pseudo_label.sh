#!/usr/bin/env bash
# GPU run of the pseudo-labeling benchmark (device machine, no network).
# Expects the stack wheels and coco-mini under $DEV (default .device):
#   $DEV/setup.sh, $DEV/device-py312/*.whl, $DEV/coco-mini/{annotations,images}
# Results go to $OUT (default work_dirs/bench_gpu).
set -euo pipefail
DEV=${DEV:-.device}
OUT=${OUT:-work_dirs/bench_gpu}
WORK=${WORK:-/tmp/mmcasp_bench}
mkdir -p "$OUT" "$WORK"
source "$DEV/setup.sh" "$DEV/device-py312"
export PYTHONPATH="$PWD:$PYTHONPATH"
ROOT="$DEV/coco-mini/"
CFG=benchmarks/configs/condinst-ca_effl0_fpn_36e_coco-mini-objects.py
DATA=(train_dataloader.dataset.data_root=$ROOT val_dataloader.dataset.data_root=$ROOT
      test_dataloader.dataset.data_root=$ROOT val_evaluator.ann_file=${ROOT}annotations/val.json
      test_evaluator.ann_file=${ROOT}annotations/val.json)
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
# 1. a real labeler: class-agnostic CondInst on the 100 labeled images
t0=$(date +%s)
python tools/train.py "$CFG" --work-dir "$WORK/labeler" --cfg-options "${DATA[@]}" \
  > "$OUT/labeler_train.log" 2>&1
echo "labeler training: $(( $(date +%s) - t0 )) s" | tee -a "$OUT/summary.txt"
grep -h "Epoch(val)" "$OUT/labeler_train.log" | tail -1 | tee -a "$OUT/summary.txt"
CKPT="$WORK/labeler/epoch_36.pth"
# 2. speed: ours (batch 1/8/32, fp32/fp16) vs mmdet's stock test loop
python benchmarks/pseudo_label_speed.py --config "$CFG" --checkpoint "$CKPT" \
  --images "${ROOT}annotations/unlabeled.json" --image-root "${ROOT}images" \
  --batch-sizes 1 8 32 --fp16 --num-workers 8 --out "$OUT/pseudo_speed_gpu.json" \
  --cfg-options "${DATA[@]}" > "$OUT/pseudo_speed.log" 2>&1
grep "^{" "$OUT/pseudo_speed.log" | tee -a "$OUT/summary.txt"
[ "${SPEED_ONLY:-0}" = 1 ] && exit 0
# 3. pseudo-label quality on val (the labeler never saw it)
python tools/pseudo_label.py "$CFG" "$CKPT" --images "${ROOT}annotations/val.json" \
  --image-root "${ROOT}images" --out "$OUT/val_pseudo.json" --batch-size 8 \
  --num-workers 8 --cfg-options "${DATA[@]}" > "$OUT/val_pseudo.log" 2>&1
python tools/analysis_tools/eval_pseudo_labels.py "$OUT/val_pseudo.json" \
  "${ROOT}annotations/val.json" --out "$OUT/val_pseudo_quality.json" | tee -a "$OUT/summary.txt"
# 4. CAM labeler on GPU (ImageNet EfficientNet-Lite0), val images
python tools/cam_pseudo_label.py --images "${ROOT}annotations/val.json" \
  --image-root "${ROOT}images" --out "$OUT/val_cam.json" --class-agnostic \
  --num-workers 8 > "$OUT/val_cam.log" 2>&1
tail -3 "$OUT/val_cam.log" | tee -a "$OUT/summary.txt"
python tools/analysis_tools/eval_pseudo_labels.py "$OUT/val_cam.json" \
  "${ROOT}annotations/val.json" --out "$OUT/val_cam_quality.json" | tee -a "$OUT/summary.txt"
rm -f "$OUT"/*.json.shards -r

#!/usr/bin/env bash
# Labeling speed on one GPU, prepared for a lent device (at most 6 minutes
# of device time: each model's run is cut at 110 s, the tool's at 50 s; the
# stack's setup and the two seeded checkpoints take about a minute):
# mmdet's stock Runner.test() vs mmcasp's loop at batch 1, 8 and 32, fp32
# and AMP (fp16), on the class-agnostic CondInst with EfficientNet-Lite0 at
# 512 px and with R-50 at 800 px (the COCO test scale), seeded weights (no
# training: the forward costs what a trained model's costs; δ 0.05 keeps a
# trained model's label count), labels compared across batch sizes; then
# tools/pseudo_label.py with its CUDA default and --fp16 writing a label
# store (GPU mask encoding).
#
#   DEV=.device bash benchmarks/gpu_labeling_speed.sh
#
# DEV holds setup.sh, device-py312/ and coco-mini/ (a copy of ../shared,
# carried to the device). Results: $OUT (default work_dirs/bench_gpu_labeling):
# labeling_speed_{effl0,r50}.json, tool_store/, summary.md (a run cut by its
# time limit leaves its finished rounds as JSON lines in its .log).
#
# DRY_RUN=1 runs the same steps on this machine's CPU with the toy labeler
# (4 images, batches 1 and 2, fp32, no device setup): the test suite runs it
# (tests/test_benchmarks/test_gpu_labeling_speed.py), so the script cannot
# rot between GPU loans.
set -euo pipefail
cd "$(dirname "$0")/.."  # the repository root
DEV=${DEV:-.device}
OUT=${OUT:-work_dirs/bench_gpu_labeling}
PY=${PYTHON:-python}
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export MMCASP_OFFLINE=1  # no network on the device: R-50 starts from seeded weights
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ "${DRY_RUN:-0}" = 1 ]; then
  COCO_MINI=${COCO_MINI:-../shared/data/coco-mini}
  MODELS=(toy)
  N=4; BATCHES=(1 2); AMP=(); LIMIT=300; TOOL_LIMIT=300; DEVICE=cpu
  WORKERS=${WORKERS:-2}
else
  COCO_MINI=${COCO_MINI:-$DEV/coco-mini}
  source "$DEV/setup.sh" "$DEV/device-py312"
  nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
  MODELS=(effl0 r50)
  N=${N:-100}; BATCHES=(1 8 32); AMP=(--fp16); LIMIT=110; TOOL_LIMIT=50; DEVICE=cuda
fi
config_of() {
  case $1 in
    toy) echo configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py ;;
    effl0) echo benchmarks/configs/condinst-ca_effl0_fpn_36e_coco-mini-objects.py ;;
    r50) echo configs/condinst/condinst-ca_r50_fpn_ms-1x_coco-objects.py ;;
  esac
}
# the first N unlabeled images, and one seeded checkpoint per model
"$PY" - "$COCO_MINI/annotations/unlabeled.json" "$N" "$WORK/images.json" <<'EOF'
import json, sys
src = json.load(open(sys.argv[1]))
src['images'] = src['images'][:int(sys.argv[2])]
ids = {im['id'] for im in src['images']}
src['annotations'] = [a for a in src.get('annotations', []) if a['image_id'] in ids]
json.dump(src, open(sys.argv[3], 'w'))
EOF
for m in "${MODELS[@]}"; do
  "$PY" - "$(config_of "$m")" "$WORK/$m.pth" <<'EOF'
import sys, torch
from mmcasp.apis import load_detector
torch.manual_seed(0)
model = load_detector(sys.argv[1], None, device='cpu')
torch.save(dict(state_dict=model.state_dict(), meta={}), sys.argv[2])
EOF
done
IMAGES=(--images "$WORK/images.json" --image-root "$COCO_MINI/images")
for m in "${MODELS[@]}"; do
  t0=$(date +%s)
  timeout -k 10 "$LIMIT" "$PY" benchmarks/pseudo_label_speed.py --config "$(config_of "$m")" \
    --checkpoint "$WORK/$m.pth" "${IMAGES[@]}" --batch-sizes "${BATCHES[@]}" ${AMP[@]+"${AMP[@]}"} \
    --rounds 1 --delta 0.05 --processes 0 --num-workers "${WORKERS:-8}" \
    --cfg-options model.test_cfg.score_thr=0.0 \
    --out "$OUT/labeling_speed_$m.json" > "$OUT/labeling_speed_$m.log" 2>&1 \
    || echo "$m: pseudo_label_speed.py failed or ran out of time, see $OUT/labeling_speed_$m.log"
  echo "$m: $(( $(date +%s) - t0 )) s"
done
# the tool as a user runs it: its device default, AMP, a label store
m=${MODELS[-1]}
timeout -k 10 "$TOOL_LIMIT" "$PY" tools/pseudo_label.py "$(config_of "$m")" "$WORK/$m.pth" \
  "${IMAGES[@]}" \
  --out "$OUT/tool_store" --delta 0.05 --batch-size 8 --num-workers "${WORKERS:-8}" \
  ${AMP[@]+"${AMP[@]}"} --cfg-options model.test_cfg.score_thr=0.0 > "$OUT/tool.log" 2>&1 \
  || echo "tools/pseudo_label.py failed, see $OUT/tool.log"
"$PY" tools/misc/label_store.py stats "$OUT/tool_store" >> "$OUT/tool.log" 2>&1 || true
"$PY" - "$OUT" "$DEVICE" "${MODELS[@]}" <<'EOF' | tee "$OUT/summary.md"
import json, os.path as osp, sys
out, device, models = sys.argv[1], sys.argv[2], sys.argv[3:]
print(f'| model | loop | batch | precision | images/s | vs stock | forward s '
      f'(mask s) | post-processing s | labels = first batch |')
print('|---|---|---|---|---|---|---|---|---|')
for m in models:
    path = osp.join(out, f'labeling_speed_{m}.json')
    if not osp.exists(path):
        print(f'| {m} | (no result) | | | | | | | |')
        continue
    r = json.load(open(path))
    s = r['stock']
    print(f"| {m} | stock | 1 | fp32 | {s['images_per_s']:.1f} | 1.0x | | | |")
    for o in r['ours']:
        print(f"| {m} | mmcasp | {o['batch_size']} | "
              f"{o.get('precision', 'fp32')} | {o['images_per_s']:.1f} | "
              f"{o['vs_stock']}x | {o['forward_s']} ({o['mask_paste_s']}) | "
              f"{o['postprocess_s']} | {o['labels_identical_to_first']} |")
print(f'\ndevice: {device}; ' + '; '.join(
    f"{m}: {json.load(open(osp.join(out, f'labeling_speed_{m}.json')))['device']}"
    for m in models if osp.exists(osp.join(out, f'labeling_speed_{m}.json'))))
store = osp.join(out, 'tool_store', 'manifest.json')
print('tool store:', 'written' if osp.exists(store) else 'MISSING')
EOF

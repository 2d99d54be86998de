#!/usr/bin/env bash
# Usage: GPUS=16 bash tools/slurm_pseudo_label.sh PARTITION JOB_NAME CONFIG CHECKPOINT --images ... --out ... [pseudo_label.py options]
# CaSP detector pseudo labels on slurm tasks (each labels its share of the
# batches, rank 0 merges the shards); GPU and CPU partitions, environment
# as in tools/slurm_run.sh. Submitted again after a cancel or requeue it
# skips the images already recorded in <out>.shards. CAM (DAP) labels:
# bash tools/slurm_run.sh PARTITION JOB_NAME cam_pseudo_label.py --images ...
if [ $# -lt 4 ]; then
    sed -n '2,2p' "$0" >&2
    exit 2
fi
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" pseudo_label.py "${@:3}"

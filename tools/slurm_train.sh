#!/usr/bin/env bash
# Usage: GPUS=16 bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# mmdet's interface; GPU and CPU partitions (no --gres where the partition
# has no GPUs), environment as in tools/slurm_run.sh. SCRIPT=casp.py runs
# another tool the same way (see tools/slurm_casp.sh). A requeued or
# resubmitted training continues from its last checkpoint with --resume.
if [ $# -lt 4 ]; then
    sed -n '2,2p' "$0" >&2
    exit 2
fi
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" "${SCRIPT:-train.py}" \
    "$3" --work-dir="$4" "${@:5}"

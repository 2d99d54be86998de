#!/usr/bin/env bash
# Usage: GPUS=16 bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# mmdet's interface; GPU and CPU partitions, environment as in
# tools/slurm_run.sh.
if [ $# -lt 4 ]; then
    sed -n '2,2p' "$0" >&2
    exit 2
fi
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" test.py "${@:3}"

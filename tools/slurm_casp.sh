#!/usr/bin/env bash
# Usage: GPUS=16 bash tools/slurm_casp.sh PARTITION JOB_NAME CONFIG WORK_DIR [casp.py options]
# The whole pipeline as one slurm job (tools/slurm_train.sh running
# tools/casp.py; GPU and CPU partitions, environment as in
# tools/slurm_run.sh); finished stages are skipped and a half-finished
# training resumes from its last checkpoint when the job is requeued or
# submitted again.
if [ $# -lt 4 ]; then
    sed -n '2,2p' "$0" >&2
    exit 2
fi
SCRIPT=casp.py exec bash "$(dirname "$0")/slurm_train.sh" "$@"

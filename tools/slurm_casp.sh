#!/usr/bin/env bash
# Usage: GPUS=16 bash tools/slurm_casp.sh PARTITION JOB_NAME CONFIG WORK_DIR [casp.py options]
# The whole pipeline as one slurm job (tools/slurm_train.sh running
# tools/casp.py); finished stages are skipped when the job is requeued or
# submitted again.
SCRIPT=casp.py exec bash "$(dirname "$0")/slurm_train.sh" "$@"

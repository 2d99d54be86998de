#!/usr/bin/env bash
# Usage: GPUS=16 bash tools/slurm_run.sh PARTITION JOB_NAME TOOL [TOOL options]
# Runs python tools/TOOL on GPUS slurm tasks (srun) with --launcher=slurm;
# tools/slurm_{train,test,casp,pseudo_label}.sh are this with mmdet's
# argument order. Environment (mmdet's names and defaults):
#   GPUS=8           tasks (processes) in all; on a CPU partition: processes
#   GPUS_PER_NODE=8  tasks per node (and GPUs per node on a GPU partition)
#   CPUS_PER_TASK=5  CPU cores per task (a 2-core CPU node: CPUS_PER_TASK=1)
#   GRES=auto        auto: --gres=gpu:GPUS_PER_NODE only where the
#                    partition has GPUs (sinfo's GRES column), else none;
#                    none: never; anything else, e.g. gpu:a100:4: --gres=GRES
#   SRUN_ARGS=""     more srun options, e.g. "--time=2-0 --mem=0"
#   PYTHON=python    the interpreter on the nodes
# MASTER_PORT, if unset, is derived from the job id (mmcasp.utils.dist).
set -eo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,2p' "$0" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
TOOL=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES:-auto}
SRUN_ARGS=${SRUN_ARGS:-""}
if [ "${GRES}" = auto ]; then
    if sinfo -h -p "${PARTITION}" -o %G 2>/dev/null | grep -q gpu; then
        GRES=gpu:${GPUS_PER_NODE}
    else
        GRES=none
    fi
fi
GRES_ARGS=()
if [ "${GRES}" != none ]; then
    GRES_ARGS=(--gres="${GRES}")
fi

set -x
# shellcheck disable=SC2086  # SRUN_ARGS is split into options on purpose
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    "${GRES_ARGS[@]}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "${PYTHON:-python}" -u "$(dirname "$0")/${TOOL}" "${@:4}" \
    --launcher=slurm

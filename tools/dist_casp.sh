#!/usr/bin/env bash
# Usage: bash tools/dist_casp.sh CONFIG NUM_PROCS [casp.py options]
# Every pipeline stage on NUM_PROCS processes (GPUs; gloo on CPU):
# tools/dist_train.sh running tools/casp.py (NNODES, NODE_RANK, PORT,
# MASTER_ADDR as there).
SCRIPT=casp.py exec bash "$(dirname "$0")/dist_train.sh" "$@"

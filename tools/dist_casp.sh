#!/usr/bin/env bash
# Usage: bash tools/dist_casp.sh CONFIG NUM_PROCS [casp.py options]
# Runs every pipeline stage on NUM_PROCS processes (GPUs; gloo on CPU).
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/casp.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"

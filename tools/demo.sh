#!/usr/bin/env bash
# README command 1: install what is missing, then run the CaSP pipeline on
# the embedded (generated) toy dataset and print the results table.
#   bash tools/demo.sh [tools/casp.py options]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/bootstrap.sh
VENV="${MMCASP_VENV:-$ROOT/.venv}"
exec "$VENV/bin/python" tools/casp.py --work-dir work_dirs/demo "$@"

#!/usr/bin/env bash
# README command 1: install what is missing, then run the demo on the
# embedded (generated) toy dataset.   bash tools/demo.sh [demo.py options]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/bootstrap.sh
VENV="${MMCASP_VENV:-$ROOT/.venv}"
exec "$VENV/bin/python" tools/demo.py "$@"

#!/usr/bin/env bash
# Install what is missing (tools/bootstrap.sh), lint, then run the test suite.
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/bootstrap.sh
VENV="${MMCASP_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

echo "[tests] lint: flake8, isort, yapf"
"$PY" -m flake8 mmcasp tools tests configs benchmarks
"$PY" -m isort --check-only --diff mmcasp tools tests benchmarks
"$PY" -m yapf --diff --recursive mmcasp tools tests benchmarks

echo "[tests] pytest"
set +e
"$PY" -m pytest -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "[tests] pytest collected no tests"
  exit 1
fi
exit "$rc"

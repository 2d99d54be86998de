#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment with the full stack:
# torch, mmcv 2.1.0 with compiled ops, mmengine 0.10.7, mmdet 3.3.0, mmcasp
# (editable) with its test tools, and the mim CLI.
#
#   bash tools/bootstrap.sh            # idempotent; prints nothing to redo
#
# Environment knobs:
#   MMCASP_VENV        venv folder                 (default: <repo>/.venv)
#   PYTHON             interpreter for the venv    (default: python3)
#   MMCASP_TORCH       torch requirement           (default: torch==2.13.0 from
#                      pip's index: from PyPI the CUDA 13 build, ~4 GB of NVIDIA
#                      libraries; the reference machine's pip finds the CPU
#                      build 2.13.0+cpu locally). CPU only, the small build:
#                      "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu";
#                      mmcasp needs torch >= 2.6, e.g. for CUDA 12.4
#                      "torch==2.6.0 --index-url https://download.pytorch.org/whl/cu124"
#                      with MMCASP_MMCV_WHEELS naming a wheel built for that
#                      torch (the default folder's is for torch 2.13.0 CPU).
#                      Read only when the venv has no torch yet.
#   MMCASP_MMCV_WHEELS folder with a prebuilt mmcv wheel for that torch
#                      (default: ../shared/wheels/cpu-py311 when it exists);
#                      without one mmcv is compiled from source (~20 min on 2 cores).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMCASP_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${MMCASP_TORCH:-torch==2.13.0}"
MMCV_SPEC="mmcv==2.1.0"
OPENMIM_SPEC="openmim==0.3.9"
if [ -z "${MMCASP_MMCV_WHEELS:-}" ] && [ -d "$ROOT/../shared/wheels/cpu-py311" ]; then
  MMCASP_MMCV_WHEELS="$ROOT/../shared/wheels/cpu-py311"
fi
WHEELS="${MMCASP_MMCV_WHEELS:-}"

log() { echo "[bootstrap] $*" >&2; }

# What the environment is built from; a change re-runs the (incremental) install.
fingerprint() {
  {
    echo "$TORCH_SPEC|$MMCV_SPEC|$OPENMIM_SPEC|$WHEELS"
    cat "$ROOT"/requirements/*.txt "$ROOT/pyproject.toml" "$ROOT/tools/bootstrap.sh"
  } | sha256sum | cut -d' ' -f1
}

PY="$VENV/bin/python"
STAMP="$VENV/.mmcasp-bootstrap"
WANT="$(fingerprint)"

stack_ok() {
  "$PY" - <<'PY' >/dev/null 2>&1
import mmcasp, mmcv.ops, mmdet, mmengine, torch  # noqa
from mmcv.ops import nms  # compiled ops present
import shutil, sys
if not shutil.which('mim', path=sys.prefix + '/bin'):
    sys.exit(1)
# mim finds configs and tools in <site-packages>/mmcasp/.mim
from mim.utils import get_installed_path
import os.path as osp
sys.exit(0 if osp.isdir(osp.join(get_installed_path('mmcasp'), '.mim',
                                 'configs')) else 1)
PY
}

# `mim train mmcasp <config>` looks for configs and tools in
# <site-packages>/mmcasp/.mim (mim derives the folder from the distribution's
# location); an editable install puts only an import finder there. A link
# <site-packages>/mmcasp -> <repo>/mmcasp gives mim that folder and imports
# the very same source files. A non-editable install (a real folder) is left
# alone.
link_for_mim() {
  local site
  site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  if [ ! -e "$site/mmcasp" ]; then
    ln -sfn "$ROOT/mmcasp" "$site/mmcasp"
  fi
}

if [ -x "$PY" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && stack_ok; then
  log "environment up to date: $VENV"
  exit 0
fi

if [ ! -x "$PY" ]; then
  log "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$PY" -m pip install --disable-pip-version-check -c "$ROOT/requirements/constraints.txt")

log "build tools"
"${PIP[@]}" -q -r "$ROOT/requirements/build.txt"

if ! "$PY" -c "import torch" >/dev/null 2>&1; then
  log "installing $TORCH_SPEC"
  # shellcheck disable=SC2086
  "${PIP[@]}" -q $TORCH_SPEC
fi

if ! "$PY" -c "from mmcv.ops import nms" >/dev/null 2>&1; then
  FIND=()
  if [ -n "$WHEELS" ]; then
    log "installing $MMCV_SPEC from $WHEELS when it holds a matching wheel"
    FIND=(--find-links "$WHEELS")
  else
    log "building $MMCV_SPEC with its ops from source (about 20 minutes on 2 cores)"
  fi
  # --no-build-isolation: mmcv compiles its ops against the installed torch;
  # in an isolated build it silently comes out without ops.
  MMCV_WITH_OPS=1 "${PIP[@]}" -q --no-build-isolation "${FIND[@]}" "$MMCV_SPEC"
  if ! "$PY" -c "from mmcv.ops import nms" >/dev/null 2>&1; then
    log "ERROR: mmcv installed without its compiled ops; see docs/get_started.md"
    exit 1
  fi
fi

log "installing mmcasp (editable) with runtime and test requirements"
"${PIP[@]}" -q --no-build-isolation -e "$ROOT[tests]"
link_for_mim

log "installing the mim CLI ($OPENMIM_SPEC without its openxlab dependencies)"
"${PIP[@]}" -q -r "$ROOT/requirements/mim.txt"
"${PIP[@]}" -q --no-deps "$OPENMIM_SPEC"

if ! stack_ok; then
  log "ERROR: the stack does not import; run: $PY -c 'import mmcasp'"
  "$PY" -c "import mmcasp" || true
  exit 1
fi
echo "$WANT" > "$STAMP"
log "environment ready: $VENV"

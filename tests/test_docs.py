# Copyright (c) mmcasp contributors. All rights reserved.
"""Every command block the docs mark as runnable runs, as written.

A fenced ``bash`` block directly after the line ``<!-- docs-test -->`` is
run with bash (``set -eo pipefail``) in one clean temporary work dir, in
the order a reader meets it: README.md first, then ``DOC_ORDER``, then any
other ``docs/*.md`` by name. The venv's ``bin`` comes first on PATH
(``python``, ``mim``). A failing command fails the test with its output.

Shared set-up, made once per session (:func:`docs_workdir`): links to the
checkout's ``configs/`` and ``tools/`` and to the venv (``.venv``), the
README's small toy dataset under ``data/toy``, and stand-ins for what
``bash tools/demo.sh`` leaves (its data, ``labeler/epoch_12.pth``,
``warmup/epoch_6.pth``): one checkpoint of the same class-agnostic
CondInst config whose predictions are fixed by construction (every image
gets labels above δ; :mod:`tests._standin_models`), linked under those
names. Blocks that need a GPU, full
COCO, slurm or many minutes carry no marker and say so in the doc.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import List, Tuple

import pytest

from tests._helpers import REPO_ROOT, subprocess_env
from tests._standin_models import constant_condinst_checkpoint

MARKER = '<!-- docs-test -->'
#: Reading order after README.md; other docs/*.md follow by name.
DOC_ORDER = [
    'docs/first_hour.md', 'docs/get_started.md', 'docs/class_agnostic.md',
    'docs/pseudo_labels.md', 'docs/pipeline.md', 'docs/transfer.md'
]
LABELER = 'configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py'
#: The README's toy dataset (same command, same files).
TOY_SIZES = ('24', '16', '8')
BLOCK_TIMEOUT = 600


class DocsTestError(ValueError):
    """A docs-test marker that marks no bash block."""


def runnable_blocks(text: str) -> List[Tuple[int, str]]:
    """``(line number, code)`` of every fenced bash block directly preceded
    by the marker line, in order.

    Raises:
        DocsTestError: a marker line not followed by a ```bash fence.
    """
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        fence = lines[i + 1].strip() if i + 1 < len(lines) else ''
        if fence not in ('```bash', '```sh', '```shell'):
            raise DocsTestError(
                f'line {i + 1}: {MARKER} must be followed directly by a '
                f'```bash block, found {fence!r}')
        end = next(
            (j for j in range(i + 2, len(lines)) if lines[j].strip() == '```'),
            None)
        if end is None:
            raise DocsTestError(f'line {i + 2}: unclosed ```bash block')
        blocks.append((i + 3, '\n'.join(lines[i + 2:end]) + '\n'))
    return blocks


def ordered_docs(root: str = REPO_ROOT) -> List[str]:
    """README.md, ``DOC_ORDER``, then the other docs/*.md by name."""
    docs = ['README.md'
            ] + [d for d in DOC_ORDER if osp.isfile(osp.join(root, d))]
    others = sorted(
        osp.join('docs', f) for f in os.listdir(osp.join(root, 'docs'))
        if f.endswith('.md'))
    return docs + [d for d in others if d not in docs]


def _venv() -> str:
    return sys.prefix if sys.prefix != sys.base_prefix else ''


def _run(cmd, cwd, what, timeout=BLOCK_TIMEOUT):
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f'{what} failed (exit {proc.returncode}) in {cwd}:\n'
                    f'{proc.stdout[-6000:]}')
    return proc.stdout


def _env():
    env = subprocess_env()
    env['PATH'] = osp.join(_venv(), 'bin') + os.pathsep + env['PATH']
    env['VIRTUAL_ENV'] = _venv()
    env.pop('PYTHONPATH', None)
    return env


@pytest.fixture(scope='session')
def docs_workdir(tmp_path_factory):
    """The clean work dir every runnable block runs in, with the shared
    set-up (see the module docstring)."""
    if not _venv():
        pytest.skip('the docs assume the venv tools/bootstrap.sh makes; '
                    'this python runs outside a venv')
    if not shutil.which('mim', path=osp.join(_venv(), 'bin')):
        pytest.skip('the mim CLI is not in the venv (tools/bootstrap.sh '
                    'installs it)')
    work = tmp_path_factory.mktemp('docs')
    for name in ('configs', 'tools'):
        os.symlink(osp.join(REPO_ROOT, name), work / name)
    os.symlink(_venv(), work / '.venv')
    python = osp.join(_venv(), 'bin', 'python')
    _run([
        python, 'tools/misc/make_toy_dataset.py', 'data/toy', '--sizes',
        *TOY_SIZES
    ], work, 'set-up: toy dataset')
    # the demo's checkpoints, stood in by one whose predictions are fixed
    # by construction (objectness 0.98, square boxes, whole-image masks on
    # every image; tests/_standin_models.py): a briefly trained model's
    # scores fall on either side of delta = 0.2 depending on the CPU and
    # the thread count, and the blocks test the commands, not a labeler
    os.makedirs(work / 'setup')
    standin = constant_condinst_checkpoint(
        osp.join(REPO_ROOT, LABELER), str(work / 'setup' / 'labeler.pth'))
    demo = work / 'work_dirs' / 'demo'
    for stage, name in (('labeler', 'epoch_12.pth'), ('warmup',
                                                      'epoch_6.pth')):
        os.makedirs(demo / stage)
        os.symlink(standin, demo / stage / name)
    os.symlink(work / 'data' / 'toy', demo / 'data')
    return work


def test_runnable_blocks_follow_the_marker_only():
    text = '\n'.join([
        '```bash', 'echo not marked', '```', MARKER, '```bash', 'echo one \\',
        '  two', '```', 'prose', MARKER, '```bash', 'true', '```'
    ])
    assert runnable_blocks(text) == [(6, 'echo one \\\n  two\n'),
                                     (12, 'true\n')]
    with pytest.raises(DocsTestError, match='line 1'):
        runnable_blocks(MARKER + '\n\n```bash\ntrue\n```')
    with pytest.raises(DocsTestError, match='python'):
        runnable_blocks(MARKER + '\n```python\nx = 1\n```')


def test_every_doc_parses_and_readme_comes_first():
    docs = ordered_docs()
    assert docs[0] == 'README.md' and len(docs) == len(set(docs))
    assert docs[1:1 + len(DOC_ORDER)] == DOC_ORDER  # none renamed away
    for doc in docs:
        with open(osp.join(REPO_ROOT, doc)) as f:
            runnable_blocks(f.read())  # no stray markers


@pytest.mark.slow
@pytest.mark.parametrize('doc', ordered_docs())
def test_doc_commands_run_as_written(doc, docs_workdir):
    with open(osp.join(REPO_ROOT, doc)) as f:
        blocks = runnable_blocks(f.read())
    if not blocks:
        pytest.skip(f'{doc} marks no runnable block')
    for line, code in blocks:
        t0 = time.time()
        _run(['bash', '-e', '-o', 'pipefail', '-c', code], docs_workdir,
             f'{doc}:{line}:\n{code}')
        print(f'{doc}:{line}: {time.time() - t0:.0f} s')

# Copyright (c) mmcasp contributors. All rights reserved.
"""The label store through the tools: ``pseudo_label.py --out DIR`` (1
process, 2 processes, 2 independent ``--part`` jobs, killed and resumed),
``label_store.py`` (build killed and run again, export, import, stats,
check), the analysis tools on a store, and the ``error:`` lines of bad
input. Every way of making the store gives the same store.

The labeler is an untrained CondInst made to label every image by
construction (tests/_fixed_labelers.py), whose boxes and scores still
depend on the image; the runs synchronise on events (a record written, a
data file finished: tests/_stop_points.py), never on the clock. Labeling
runs are processes (they are killed, or distributed); ``label_store.py``
and the analysis tools run in this process (``main(argv)`` under
``run_main``, as their ``__main__`` runs them), which saves a process
start per call."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmcasp.pseudo_labels import read_records
from mmcasp.pseudo_labels.label_store import build_store
from mmcasp.utils import run_main
from tests._fixed_labelers import make_confident_condinst
from tests._helpers import REPO_ROOT, TINY_CONFIG, free_port, subprocess_env
from tests._label_records import make_records, write_records
from tests._stop_points import (importable_env, stop_env, stopping_config,
                                wait_for_stop)
from tests.test_pseudo_labels.test_label_store import store_content

TOOL = osp.join(REPO_ROOT, 'tools', 'pseudo_label.py')
OPTS = ['--cfg-options', 'model.test_cfg.score_thr=0.0']
ARGS = [
    '--delta', '0.05', '--max-per-image', '3', '--num-workers', '0',
    '--batch-size', '2'
]


def _tool(*parts):
    """A tool's module, loaded from its file."""
    path = osp.join(REPO_ROOT, 'tools', *parts)
    spec = importlib.util.spec_from_file_location('tool_' + parts[-1][:-3],
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tools():
    return dict(
        store=_tool('misc', 'label_store.py'),
        label=_tool('pseudo_label.py'),
        show=_tool('analysis_tools', 'show_pseudo_labels.py'),
        eval=_tool('analysis_tools', 'eval_pseudo_labels.py'))


def _call(module, argv, capsys, code=0):
    """``module.main(argv)`` (``argv`` ``None``: ``main()``, which reads
    ``sys.argv``) as the tool's ``__main__`` runs it (under
    ``run_main``): ``(stdout, the error line or None)``; the exit status
    must be ``code``."""
    capsys.readouterr()
    error = None
    try:
        run_main(lambda: module.main() if argv is None else module.main(argv))
        status = 0
    except SystemExit as e:
        status = 0 if e.code in (0, None) else 1
        error = e.code if isinstance(e.code, str) else None
    out = capsys.readouterr().out
    assert status == code, (argv, error, out[-2000:])
    return out, error


def _run(args, check=True, env=None):
    proc = subprocess.run(
        args, capture_output=True, text=True, env=env or subprocess_env())
    if check:
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def _label(checkpoint, toy_root, out, *extra, config=TINY_CONFIG):
    return [
        sys.executable, TOOL, config, checkpoint, '--out', out, '--images',
        osp.join(toy_root, 'annotations', 'unlabeled.json'), '--image-root',
        osp.join(toy_root, 'images', 'unlabeled')
    ] + ARGS + OPTS + list(extra)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('ckpt') / 'labeler.pth')
    return make_confident_condinst(path, TINY_CONFIG)


@pytest.fixture(scope='module')
def reference(checkpoint, toy_root, tmp_path_factory):
    """One process, one thread: a store, and a COCO file of the same
    run."""
    root = tmp_path_factory.mktemp('ref')
    store, coco = str(root / 'store'), str(root / 'pseudo.json')
    env = subprocess_env(OMP_NUM_THREADS='1')
    proc = _run(_label(checkpoint, toy_root, store), env=env)
    _run(_label(checkpoint, toy_root, coco), env=env)
    return store, coco, proc.stdout


def _content(store):
    """:func:`store_content` but for the labeler config's path (the
    killed run's config adds a test-only step)."""
    out = store_content(store)
    out['manifest']['info'].pop('model_config')
    return out


@pytest.mark.slow
def test_a_store_holds_the_coco_file_s_labels(reference, tools, toy_root,
                                              tmp_path, capsys):
    store, coco, stdout = reference
    assert 'images in: 8 of 8 listed, kept: 8' in stdout
    assert f'wrote {store}' in stdout
    out = str(tmp_path / 'export.json')
    _call(tools['store'], ['export', store, out], capsys)
    a, b = json.load(open(out)), json.load(open(coco))
    assert a['images'] == b['images'] and a['annotations'] == b['annotations']
    assert a['categories'] == b['categories']
    for key in ('images_in', 'images_kept', 'labels', 'score_histogram',
                'dropped_predictions'):
        assert a['info']['stats'][key] == b['info']['stats'][key], key
    assert a['info']['delta'] == 0.05 and a['info']['image_root']
    stats, _ = _call(tools['store'], ['stats', store], capsys)
    assert 'images: 8, labels: 24' in stats and 'images in: 8 of 8' in stats
    checked, _ = _call(tools['store'], ['check', store], capsys)
    assert 'every record checked' in checked
    imported = str(tmp_path / 'imported')
    _call(tools['store'], ['import', coco, imported], capsys)
    again = str(tmp_path / 'again.json')
    _call(tools['store'], ['export', imported, again], capsys)
    assert json.load(open(again))['annotations'] == b['annotations']
    # the analysis tools read the store as they read the file
    gt = osp.join(toy_root, 'annotations', 'instances_unlabeled.json')
    numbers = []
    for pseudo in (store, coco):
        q = str(tmp_path / 'q.json')
        sys_argv = sys.argv
        sys.argv = ['eval_pseudo_labels.py', pseudo, gt, '--out', q]
        try:
            printed, _ = _call(tools['eval'], None, capsys)
        finally:
            sys.argv = sys_argv
        assert 'class-agnostic quality' in printed
        numbers.append(json.load(open(q)))
    assert numbers[0] == numbers[1]
    _call(tools['show'],
          [store, '--out-dir',
           str(tmp_path / 'show'), '-n', '2'], capsys)
    assert len(os.listdir(tmp_path / 'show')) == 2


@pytest.mark.slow
def test_two_processes_and_two_parts_make_the_same_store(
        reference, checkpoint, tools, toy_root, tmp_path, capsys):
    """2 processes (gloo, 2 threads each) and 2 independent jobs (no
    process group), then built, give the reference's store."""
    expected = _content(reference[0])
    dist = str(tmp_path / 'dist')
    _run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
        '--master_port',
        str(free_port()), *_label(checkpoint, toy_root, dist)[1:],
        '--launcher', 'pytorch'
    ],
         env=subprocess_env(OMP_NUM_THREADS='2'))
    assert _content(dist) == expected
    assert sorted(
        f for f in os.listdir(osp.join(dist, 'records'))
        if f.endswith('.jsonl')) == [
            'shard-000-of-002.jsonl', 'shard-001-of-002.jsonl'
        ]
    parts = str(tmp_path / 'parts')
    first = _run(_label(checkpoint, toy_root, parts, '--part', '0/2'))
    assert 'once every part is done' in first.stdout
    records = osp.join(parts, 'records')
    _, error = _call(tools['store'], ['build', records, parts], capsys, 1)
    assert error.startswith('error: ') and 'parts 1/2' in error
    _run(_label(checkpoint, toy_root, parts, '--part', '1/2'))
    _call(tools['store'], ['build', records, parts], capsys)
    assert _content(parts) == expected


@pytest.mark.slow
def test_killed_labeling_and_killed_build_resume_to_the_same_store(
        reference, checkpoint, tools, toy_root, tmp_path, capsys):
    """Labeling killed (SIGKILL) once 4 of 8 records are written, run
    again: the reference's store. Its build killed once a data file is
    complete (the store then says it is not finished), run again with the
    tool: the same store as an uninterrupted build."""
    store = str(tmp_path / 'resumed')
    shard = osp.join(store, 'records', 'shard-000-of-001.jsonl')
    cmd = _label(
        checkpoint,
        toy_root,
        store,
        config=stopping_config(tmp_path, shard, 4))
    stop, log = str(tmp_path / 'stopped'), str(tmp_path / 'killed.log')
    with open(log, 'w') as f:
        proc = subprocess.Popen(
            cmd, stdout=f, stderr=subprocess.STDOUT, env=stop_env(stop))
    try:
        wait_for_stop(stop, lambda: proc.poll() is None, 300, log)
    finally:
        proc.kill()
        proc.wait()
    done = len(read_records(shard))
    assert 4 <= done < 8
    assert not osp.exists(osp.join(store, 'manifest.json'))
    resumed = _run(cmd, env=importable_env())
    assert f'resuming, {done} of 8 images' in resumed.stdout + resumed.stderr
    assert _content(store) == _content(reference[0])

    rebuilt, records = str(tmp_path / 'rebuilt'), osp.join(store, 'records')
    script = ('from mmcasp.pseudo_labels.label_store import build_store\n'
              'from tests._stop_points import stop_here\n'
              f'build_store({records!r}, {rebuilt!r}, images_per_file=2,\n'
              '            on_data_file=lambda k: stop_here(f"file {k}"))\n')
    stop = str(tmp_path / 'build-stopped')
    with open(log, 'w') as f:
        proc = subprocess.Popen([sys.executable, '-c', script],
                                stdout=f,
                                stderr=subprocess.STDOUT,
                                env=stop_env(stop),
                                cwd=REPO_ROOT)
    try:
        assert wait_for_stop(stop, lambda: proc.poll() is None, 300,
                             log) == 'file 0'
    finally:
        proc.kill()
        proc.wait()
    assert os.listdir(osp.join(rebuilt, 'data')) == ['labels-00000.jsonl']
    _, error = _call(tools['store'], ['stats', rebuilt], capsys, 1)
    assert 'is not finished' in error
    _call(tools['store'],
          ['build', records, rebuilt, '--images-per-file', '2'], capsys)
    whole = str(tmp_path / 'whole')
    build_store(records, whole, images_per_file=2)
    assert store_content(rebuilt) == store_content(whole)
    assert len(os.listdir(osp.join(rebuilt, 'data'))) == 4


def test_bad_input_ends_with_one_error_line(tools, tmp_path, capsys):
    (tmp_path / 'records').mkdir()
    write_records(str(tmp_path / 'records'), make_records(8))
    store = str(tmp_path / 'store')
    _call(tools['store'], ['build', str(tmp_path / 'records'), store], capsys)
    os.truncate(osp.join(store, 'data', 'labels-00000.jsonl'), 100)
    bad = tmp_path / 'bad'
    bad.mkdir()
    (bad / 'a.jsonl').write_text('{"id": 1, "file_name": "a.png"}\nnot json\n')
    cases = [
        ('store', ['stats', store], 'labels-00000.jsonl is truncated'),
        ('store', ['export', store, str(tmp_path / 'x.json')], 'truncated'),
        ('store', ['check', str(tmp_path / 'nope')], 'does not exist'),
        ('store', ['build', str(tmp_path / 'nope'), store], 'record folder'),
        ('store', ['build', str(bad), str(tmp_path / 's2')],
         f'{bad}/a.jsonl, line 2: not valid JSON'),
        ('store', ['import', str(tmp_path / 'nope.json'),
                   store], 'does not exist'),
        ('label',
         ['c.py', 'k.pth', '--images', 'x', '--out', 's', '--part',
          '2/2'], '--part 2/2: I must be in 0..1'),
        ('label', [
            'c.py', 'k.pth', '--images', 'x', '--out', 's.json', '--part',
            '0/2'
        ], '--part writes a label store'),
    ]
    for tool, argv, message in cases:
        _, error = _call(tools[tool], argv, capsys, 1)
        assert error.startswith('error: ') and '\n' not in error, error
        assert message in error, (message, error)
    # the subprocess form prints that one line on stderr, exit status 1
    proc = _run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'misc', 'label_store.py'), 'stats', store
    ],
                check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, lines
    assert lines[0].startswith('error: ') and 'truncated' in lines[0]

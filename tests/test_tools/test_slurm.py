# Copyright (c) mmcasp contributors. All rights reserved.
"""The slurm scripts against a real single-node slurm (the
``slurm_cluster`` fixture of this folder's conftest), every job as 2 srun
tasks on a CPU partition:

1. the toy pipeline (labeler + pseudo labels) submitted with sbatch
   (tools/slurm_casp.sh) and cancelled with ``scancel`` after the labeler's
   first checkpoint (where a test-only hook, tests/_stop_points.py, stops
   its tasks: the cancel cannot come too early or too late);
2. the same labeler training, uninterrupted, with tools/slurm_train.sh
   (from the config the pipeline wrote);
3. the cancelled job submitted again: it resumes and must end with the
   weights of (2);
4. tools/slurm_pseudo_label.sh with the checkpoint of (2): the labels of
   one process and those of the resumed pipeline.

Cost: 4 job starts (2 processes importing torch and mmdet each), 9 tiny
training epochs, 3 labeling passes over 8 images; 267 s and 288 s measured
on 2 cores shared with other work (load average ~8).
"""
import importlib.util
import json
import os
import os.path as osp
import re

import pytest
import torch

from tests._helpers import REPO_ROOT, pythonpath
from tests._stop_points import IMPORTS, STOP_FILE_ENV, wait_for_stop
from tests.test_pipeline.test_casp import _casp
from tests.test_pipeline.test_casp_dist import (_annotations, _same_labels,
                                                _write_config)
from tests.test_tools.conftest import PARTITION

pytestmark = pytest.mark.slow

TOOLS = osp.join(REPO_ROOT, 'tools')
# 2 tasks of 1 CPU each: the whole of a 2-core node
TWO_TASKS = dict(GPUS='2', GPUS_PER_NODE='2', CPUS_PER_TASK='1')
# the jobs import tests._stop_points (the labeler config's custom_imports)
IMPORTABLE = dict(PYTHONPATH=pythonpath(REPO_ROOT))
LABELER_EPOCHS = 4
PSEUDO_ARGS = ['--delta', '0.05', '--max-per-image', '3', '--num-workers', '0']


def _logs(folder):
    return ''.join(
        open(osp.join(dp, f)).read() for dp, _, fs in os.walk(folder)
        for f in fs if f.endswith('.log'))


def _saved_epoch(stage_dir):
    """The epoch of the last complete checkpoint (mmengine writes
    last_checkpoint after the file)."""
    last = osp.join(stage_dir, 'last_checkpoint')
    text = open(last).read().strip() if osp.exists(last) else ''
    m = re.search(r'epoch_(\d+)\.pth$', text)
    return int(m.group(1)) if m else 0


def _pipeline_casp(toy_root):
    """The toy pipeline (tests/test_pipeline/test_casp.py) with a labeler
    whose training does not depend on when it was resumed: its two random
    draws besides the seeded sampler are RandomResize/RandomFlip, here in
    one non-persistent loader worker that mmengine seeds the same way at
    every epoch (in the main process they would continue the generator's
    state, which a resume re-seeds but does not restore), and CondInst's
    mask subsampling above ``max_masks_to_train`` (torch's generator, same
    problem), turned off by a limit above the number of positives.

    Its training stops itself after the first checkpoint where the job's
    environment names a stop file (tests/_stop_points.py); the hook is in
    the labeler's config (with the custom_imports that register it) in
    every run, and does nothing in the others."""
    casp = _casp(toy_root)
    casp['labeler']['epochs'] = LABELER_EPOCHS
    opts = casp['labeler']['cfg_options']
    opts['train_dataloader.num_workers'] = 1
    opts['model.mask_head.max_masks_to_train'] = 100000
    opts['custom_hooks'] = [dict(type='StopAfterCheckpointHook', epoch=1)]
    opts['custom_imports'] = IMPORTS
    return casp


@pytest.fixture(scope='module')
def cancelled(slurm_cluster, toy_root, tmp_path_factory):
    """The pipeline job, cancelled after the labeler's first checkpoint,
    where its tasks stopped themselves."""
    tmp = tmp_path_factory.mktemp('slurm_pipeline')
    config = _write_config(tmp / 'pipe.py', _pipeline_casp(toy_root), IMPORTS)
    work = str(tmp / 'work')
    env = ' '.join(f'{k}={v}' for k, v in TWO_TASKS.items())
    (tmp / 'job.sh').write_text(
        '#!/usr/bin/env bash\n'  # what a user submits with sbatch
        f'{env} bash {TOOLS}/slurm_casp.sh {PARTITION} casp {config} {work} '
        f'--data-root {toy_root} --stages labeler pseudo\n')
    stop = str(tmp / 'stopped')
    job = slurm_cluster.sbatch(
        str(tmp / 'job.sh'), str(tmp / 'first.out'), 2, **IMPORTABLE,
        **{STOP_FILE_ENV: stop})
    labeler = osp.join(work, 'labeler')

    def running():
        return slurm_cluster.job_state(job) in ('PENDING', 'CONFIGURING',
                                                'RUNNING', 'UNKNOWN')

    try:
        wait_for_stop(stop, running, 600, str(tmp / 'first.out'))
    finally:  # the state check below says if this came too late
        slurm_cluster.run(['scancel', job], check=False)
    state = slurm_cluster.wait_job(job, timeout=120)
    out = open(tmp / 'first.out').read()
    assert state == 'CANCELLED', f'{state}\n{out[-4000:]}'
    return dict(
        tmp=tmp,
        work=work,
        epoch=_saved_epoch(labeler),
        finished=osp.exists(osp.join(labeler, 'done.json')),
        out=out)


@pytest.fixture(scope='module')
def trained(slurm_cluster, cancelled, tmp_path_factory):
    """tools/slurm_train.sh, as the issue ran it, on the labeler config the
    cancelled pipeline wrote (the same training, uninterrupted)."""
    labeler = osp.join(cancelled['work'], 'labeler')
    config = next(
        osp.join(labeler, f) for f in os.listdir(labeler) if f.endswith('.py'))
    work = str(tmp_path_factory.mktemp('slurm_train'))
    proc = slurm_cluster.run([
        'bash',
        osp.join(TOOLS, 'slurm_train.sh'), PARTITION, 'train', config, work
    ],
                             timeout=600,
                             **TWO_TASKS,
                             **IMPORTABLE)
    return dict(
        config=config,
        work=work,
        checkpoint=osp.join(work, f'epoch_{LABELER_EPOCHS}.pth'),
        out=proc.stdout + proc.stderr)


@pytest.fixture(scope='module')
def resumed(slurm_cluster, cancelled, trained):
    """The cancelled job submitted again, after (2) has run."""
    tmp = cancelled['tmp']
    job = slurm_cluster.sbatch(
        str(tmp / 'job.sh'), str(tmp / 'again.out'), 2, **IMPORTABLE)
    state = slurm_cluster.wait_job(job, timeout=600)
    out = open(tmp / 'again.out').read()
    assert state == 'COMPLETED', f'{state}\n{out[-4000:]}'
    return dict(work=cancelled['work'], out=out)


def test_train_two_tasks_on_cpu_partition(trained):
    assert '--gres' not in trained['out']  # the partition has no GPUs
    assert osp.isfile(trained['checkpoint'])
    log = _logs(trained['work'])
    assert 'Distributed launcher: slurm' in log
    assert 'MMDistributedDataParallel' in log
    # 16 images, 4 per batch per task: 2 iterations per epoch with 2 tasks
    # (4 with one)
    assert f'Epoch(train) [{LABELER_EPOCHS}][2/2]' in log
    assert '[1][3/' not in log


def test_cancelled_pipeline_job_resumes_and_ends_identically(
        cancelled, trained, resumed):
    """Cancelled after epoch >= 1, resubmitted: the labeler resumes from
    its last checkpoint, and its final weights are those of the
    uninterrupted training, bit for bit: the same 2 single-threaded gloo
    tasks, the same data order (the sampler is seeded by epoch) and no
    random draw that depends on the history (see ``_pipeline_casp``)."""
    assert cancelled['epoch'] == 1, cancelled['out'][-4000:]
    assert not cancelled['finished'], 'cancelled too late: labeler done'
    out = resumed['out']
    epochs = [int(e) for e in re.findall(r'resumed epoch: (\d+)', out)]
    assert epochs and epochs[0] == cancelled['epoch'], out[-4000:]
    assert 'Epoch(train) [1]' not in out
    assert 'labeler: running' in out and 'pseudo: running' in out
    done = json.load(open(osp.join(resumed['work'], 'labeler', 'done.json')))
    assert done['checkpoint'].endswith(f'epoch_{LABELER_EPOCHS}.pth')
    got = torch.load(done['checkpoint'], map_location='cpu')['state_dict']
    want = torch.load(trained['checkpoint'], map_location='cpu')['state_dict']
    assert got.keys() == want.keys()
    differ = [k for k in want if not torch.equal(got[k], want[k])]
    assert not differ, f'{len(differ)} tensors differ, e.g. {differ[:3]}'


def _pseudo_label_main():
    spec = importlib.util.spec_from_file_location(
        'pseudo_label_tool', osp.join(TOOLS, 'pseudo_label.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_pseudo_labels_two_tasks(slurm_cluster, trained, resumed, toy_root,
                                 tmp_path):
    args = [
        trained['config'], trained['checkpoint'], '--images',
        osp.join(toy_root, 'annotations', 'unlabeled.json'), '--image-root',
        osp.join(toy_root, 'images', 'unlabeled'), *PSEUDO_ARGS
    ]
    two = str(tmp_path / 'two.json')
    slurm_cluster.run([
        'bash',
        osp.join(TOOLS, 'slurm_pseudo_label.sh'), PARTITION, 'label', *args,
        '--out', two
    ],
                      timeout=600,
                      **TWO_TASKS,
                      **IMPORTABLE)
    one = str(tmp_path / 'one.json')
    _pseudo_label_main()([*args, '--out', one])  # one process: this one
    two_anns = _annotations(two)
    # the labeler's fixed outputs (see _casp) label every image
    assert len(two_anns) == 8
    # exactly, though this process is not single-threaded (see _same_labels)
    _same_labels(_annotations(one), two_anns)
    assert sorted(i['id'] for i in json.load(open(two))['images']) == \
        sorted(i['id'] for i in json.load(open(one))['images'])
    # the resumed pipeline's labels: the same weights, the same 2 tasks
    pseudo = json.load(open(osp.join(resumed['work'], 'pseudo',
                                     'done.json')))['file']
    assert _annotations(pseudo) == two_anns

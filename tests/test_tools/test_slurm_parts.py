# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo labels by a slurm job array, as docs/slurm.md shows it: each
array task labels its part (``tools/pseudo_label.py --part
$SLURM_ARRAY_TASK_ID/2``, no process group), and a job that depends on the
array (``--dependency=afterok``) joins the parts into one store
(``tools/misc/label_store.py build``). Against the private one-node slurm
of this folder's conftest (``slurm_cluster``).

The store's equality with one process's is tested without slurm
(tests/test_pseudo_labels/test_label_store_tools.py); here: the array and
the dependency work as documented, each task wrote its own part, and the
store is whole. Cost: 3 job starts, 2 labeling passes over 4 toy images
each."""
import json
import os
import os.path as osp

import pytest

from tests._fixed_labelers import make_confident_condinst
from tests._helpers import TINY_CONFIG
from tests.test_tools.conftest import PARTITION

pytestmark = pytest.mark.slow


def test_job_array_parts_then_a_dependent_build(slurm_cluster, toy_root,
                                                tmp_path):
    ckpt = make_confident_condinst(str(tmp_path / 'labeler.pth'), TINY_CONFIG)
    store = str(tmp_path / 'store')
    (tmp_path / 'label.sh').write_text(
        '#!/usr/bin/env bash\n'
        f'exec "$PYTHON" tools/pseudo_label.py {TINY_CONFIG} {ckpt} '
        f'--images {toy_root}/annotations/unlabeled.json '
        f'--image-root {toy_root}/images/unlabeled --out {store} '
        '--part "$SLURM_ARRAY_TASK_ID/2" --delta 0.05 --max-per-image 3 '
        '--num-workers 0 --batch-size 2 '
        '--cfg-options model.test_cfg.score_thr=0.0\n')
    (tmp_path / 'build.sh').write_text(
        '#!/usr/bin/env bash\n'
        f'exec "$PYTHON" tools/misc/label_store.py build {store}/records '
        f'{store}\n')
    array = slurm_cluster.run([
        'sbatch', '--parsable', f'--partition={PARTITION}', '--array=0-1',
        '--ntasks=1', '--cpus-per-task=1', f'--output={tmp_path}/label-%a.out',
        str(tmp_path / 'label.sh')
    ]).stdout.strip().split(';')[0]
    build = slurm_cluster.run([
        'sbatch', '--parsable', f'--partition={PARTITION}',
        f'--dependency=afterok:{array}', '--ntasks=1', '--cpus-per-task=1',
        f'--output={tmp_path}/build.out',
        str(tmp_path / 'build.sh')
    ]).stdout.strip().split(';')[0]
    for job in (f'{array}_0', f'{array}_1', build):
        state = slurm_cluster.wait_job(job, timeout=600)
        logs = ''.join(
            open(tmp_path / f).read() for f in sorted(os.listdir(tmp_path))
            if f.endswith('.out'))
        assert state == 'COMPLETED', f'{job}: {state}\n{logs[-4000:]}'
    for i in (0, 1):
        assert f'part {i}/2: 4 images' in open(tmp_path /
                                               f'label-{i}.out').read()
    assert 'built ' in open(tmp_path / 'build.out').read()
    records = sorted(
        f for f in os.listdir(osp.join(store, 'records'))
        if f.endswith('.jsonl'))
    assert records == [
        'part-000-of-002-shard-000-of-001.jsonl',
        'part-001-of-002-shard-000-of-001.jsonl'
    ]
    manifest = json.load(open(osp.join(store, 'manifest.json')))
    assert manifest['images'] == 8 and manifest['labels'] == 24
    assert manifest['run']['parts'] == 2

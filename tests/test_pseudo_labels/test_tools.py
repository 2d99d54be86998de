# Copyright (c) mmcasp contributors. All rights reserved.
"""The pseudo-label tools end to end: output format, resume after a kill,
identical results with 2 processes, bad inputs, hook, CAM labeler, and that
the file trains in mmdet with every mask."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mmcasp.datasets import ClassAgnosticCocoDataset
from mmcasp.pseudo_labels import read_records
from mmcasp.utils import register_all_modules
from tests._fixed_labelers import make_confident_condinst
from tests._helpers import (REPO_ROOT, TINY_CONFIG, free_port, subprocess_env,
                            toy_cfg_options)
from tests._stop_points import (importable_env, stop_env, stopping_config,
                                wait_for_stop)

TOOL = osp.join(REPO_ROOT, 'tools', 'pseudo_label.py')
# score_thr 0: the model's pre-filter keeps all that delta would keep
OPTS = ['--cfg-options', 'model.test_cfg.score_thr=0.0']
ARGS = ['--delta', '0.05', '--max-per-image', '3', '--num-workers', '0']


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """An untrained CondInst made to label every image by construction
    (scores ~0.98, full masks; see tests/_fixed_labelers.py) whose boxes
    and scores still depend on the image: comparing two runs compares
    image-dependent numbers."""
    path = str(tmp_path_factory.mktemp('ckpt') / 'labeler.pth')
    return make_confident_condinst(path, TINY_CONFIG)


def _source(toy_root):
    return [
        '--images',
        osp.join(toy_root, 'annotations', 'unlabeled.json'), '--image-root',
        osp.join(toy_root, 'images', 'unlabeled')
    ]


def _run(args, check=True, env=None, **kw):
    proc = subprocess.run(
        args,
        capture_output=True,
        text=True,
        env=env or subprocess_env(),
        **kw)
    if check:
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def _content(path):
    d = json.load(open(path))
    return d['images'], d['annotations']


@pytest.fixture(scope='module')
def reference(checkpoint, toy_root, tmp_path_factory):
    """The labels of one process on one thread (whatever the environment
    says: the runs compared with it use other thread counts)."""
    out = str(tmp_path_factory.mktemp('ref') / 'pseudo.json')
    proc = _run(
        [
            sys.executable, TOOL, TINY_CONFIG, checkpoint, '--out', out,
            '--batch-size', '2'
        ] + _source(toy_root) + ARGS + OPTS,
        env=subprocess_env(OMP_NUM_THREADS='1'))
    return out, proc.stdout


def test_output_is_a_trainable_coco_file(reference, toy_root):
    out, stdout = reference
    d = json.load(open(out))
    assert d['categories'] == [
        dict(id=1, name='object', supercategory='object')
    ]
    info = d['info']
    assert info['delta'] == 0.05 and info['checkpoint'].endswith('.pth')
    assert 'date_created' in info and info['stats']['images_in'] == 8
    assert 'images in: 8' in stdout and 'images/s' in stdout
    # the checkpoint labels every image, 3 labels each
    assert len(d['images']) == 8 and len(d['annotations']) == 24
    for a in d['annotations']:
        assert a['score'] > 0.05 and a['category_id'] == 1
        assert isinstance(a['segmentation']['counts'], str)
    per_image = {}
    for a in d['annotations']:
        per_image[a['image_id']] = per_image.get(a['image_id'], 0) + 1
    assert max(per_image.values()) <= 3
    # every pseudo mask reaches the training targets (none ignored)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        ds = ClassAgnosticCocoDataset(
            ann_file=out,
            data_prefix=dict(img=osp.join(toy_root, 'images', 'unlabeled')),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(
                    type='LoadAnnotations',
                    with_bbox=True,
                    with_mask=True,
                    poly2mask=True),
                dict(type='PackDetInputs')
            ])
        n = 0
        for i in range(len(ds)):
            sample = ds[i]['data_samples']
            assert len(sample.ignored_instances) == 0
            masks = sample.gt_instances.masks.masks
            assert len(masks) > 0
            assert (masks.reshape(len(masks), -1).sum(1) > 0).all()
            n += len(masks)
    assert n == len(d['annotations'])


def test_dap_self_training_rule_keeps_each_image_s_top_box(
        reference, checkpoint, toy_root, tmp_path):
    """DAP Table 9's labeling (``--delta 0.6 --keep-top --flip
    --class-specific``) with a delta above every score (~0.98): each image
    keeps exactly its best prediction, at least the unflipped best, with
    the category id of the given file's class of that name; without
    ``--keep-top`` nothing is kept."""
    cats = tmp_path / 'cats.json'
    cats.write_text(json.dumps(dict(categories=[dict(id=7, name='object')])))
    out = str(tmp_path / 'st.json')
    rule = ['--delta', '0.999', '--num-workers', '0', '--batch-size', '2']
    _run([
        sys.executable, TOOL, TINY_CONFIG, checkpoint, '--out', out,
        '--keep-top', '--flip', '--class-specific', '--categories',
        str(cats)
    ] + _source(toy_root) + rule + OPTS)
    d = json.load(open(out))
    assert d['categories'] == [dict(id=7, name='object', supercategory='')]
    assert d['info']['keep_top'] and d['info']['class_specific']
    ref = json.load(open(reference[0]))
    best = {}
    for a in ref['annotations']:
        best[a['image_id']] = max(best.get(a['image_id'], 0), a['score'])
    assert len(d['images']) == 8 and len(d['annotations']) == 8
    for a in d['annotations']:
        assert a['category_id'] == 7 and a['score'] < 0.999
        assert a['score'] >= best[a['image_id']] - 1e-6
    proc = _run(
        [
            sys.executable, TOOL, TINY_CONFIG, checkpoint, '--out',
            str(tmp_path / 'none.json')
        ] + _source(toy_root) + rule + OPTS,
        check=False)
    assert proc.returncode != 0 and 'error:' in proc.stderr
    # a class the categories file does not have: one error line
    cats.write_text(json.dumps(dict(categories=[dict(id=1, name='dog')])))
    proc = _run(
        [
            sys.executable, TOOL, TINY_CONFIG, checkpoint, '--out',
            str(tmp_path / 'bad.json'), '--class-specific', '--categories',
            str(cats)
        ] + _source(toy_root) + rule + OPTS,
        check=False)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert "error: --class-specific: the model's classes ['object'] are " \
        'not categories of' in proc.stderr


def test_two_processes_give_identical_results(reference, checkpoint, toy_root,
                                              tmp_path):
    """Exactly the labels of one process (the rule for any number of
    processes and threads: see ``_same_labels`` in
    tests/test_pipeline/test_casp_dist.py): the reference ran on one
    thread, these two processes run on two threads each, so the equality
    does not come from both being single-threaded."""
    out = str(tmp_path / 'dist.json')
    _run(
        [
            sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
            '2', '--master_port',
            str(free_port()), TOOL, TINY_CONFIG, checkpoint, '--out', out,
            '--batch-size', '2', '--launcher', 'pytorch'
        ] + _source(toy_root) + ARGS + OPTS,
        env=subprocess_env(OMP_NUM_THREADS='2'))
    assert _content(out) == _content(reference[0])
    # each rank's dropped predictions, gathered to rank 0, add up to one
    # process's (and the run's image count is both ranks')
    stats = json.load(open(out))['info']['stats']
    ref_stats = json.load(open(reference[0]))['info']['stats']
    assert stats['dropped_predictions'] == ref_stats['dropped_predictions']
    assert sum(stats['dropped_predictions'].values()) > 0
    assert stats['images_labeled_this_run'] == len(_content(out)[0]) + \
        stats['images_empty_dropped']
    shards = sorted(os.listdir(out + '.shards'))
    assert 'shard-000-of-002.jsonl' in shards
    assert 'shard-001-of-002.jsonl' in shards


def test_killed_run_resumes_without_redoing_or_duplicates(
        reference, checkpoint, toy_root, tmp_path):
    """Killed (SIGKILL) once 4 of the 8 images are recorded: the run stops
    itself there (a test-only pipeline step), so the kill lands between
    those records and the end on any machine (polling the shard raced the
    run: on a GPU two batches fit between two polls). Run again, it
    labels the other images only, and the file is the reference's."""
    out = str(tmp_path / 'resumed.json')
    shard = out + '.shards/shard-000-of-001.jsonl'
    cmd = [
        sys.executable, TOOL,
        stopping_config(tmp_path, shard, 4), checkpoint, '--out', out,
        '--batch-size', '2'
    ] + _source(toy_root) + ARGS + OPTS
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
    assert 4 <= done < 8, 'killed too late to test resuming'
    assert not osp.exists(out)  # no half-written final file
    resumed = _run(cmd, env=importable_env())
    assert f'resuming, {done} of 8 images' in resumed.stdout + resumed.stderr
    assert _content(out) == _content(reference[0])
    ids = [r['id'] for r in read_records(shard)]
    assert len(ids) == len(set(ids)) == 8


def test_bad_images_are_counted_not_fatal(checkpoint, toy_root, tmp_path):
    folder = tmp_path / 'imgs'
    shutil.copytree(osp.join(toy_root, 'images', 'val'), folder / 'a')
    shutil.copytree(osp.join(toy_root, 'images', 'val'), folder / 'b')
    (folder / 'zero.png').write_bytes(b'')
    good = (folder / 'a' / '000025.png').read_bytes()
    (folder / 'trunc.png').write_bytes(good[:200])
    (folder / 'fake.jpg').write_text('not an image' * 20)
    out = str(tmp_path / 'p.json')
    proc = _run([
        sys.executable, TOOL, TINY_CONFIG, checkpoint, '--images',
        str(folder), '--out', out
    ] + ARGS + OPTS)
    stats = json.load(open(out))['info']['stats']
    assert stats['images_in'] == 19
    assert stats['images_skipped'] == {
        'empty_file': 1,
        'truncated': 1,
        'not_an_image': 1
    }
    names = {i['file_name'] for i in json.load(open(out))['images']}
    assert os.path.join('a', '000025.png') in names
    assert os.path.join('b', '000025.png') in names
    assert 'skipped' in proc.stdout + proc.stderr
    # an empty source fails before the model is loaded
    (tmp_path / 'empty').mkdir()
    bad = _run([
        sys.executable, TOOL, TINY_CONFIG, 'no-such-checkpoint.pth',
        '--images',
        str(tmp_path / 'empty'), '--out', out
    ],
               check=False)
    assert bad.returncode != 0 and 'no readable image' in bad.stderr


def test_hook_labels_after_training(toy_root, tmp_path):
    work = str(tmp_path / 'work')
    cfg_file = tmp_path / 'labeler_with_hook.py'
    cfg_file.write_text(f"""_base_ = {TINY_CONFIG!r}
custom_hooks = [
    dict(
        type='DetectorPseudoLabelHook',
        images={toy_root + '/annotations/unlabeled.json'!r},
        image_root={toy_root + '/images/unlabeled'!r},
        delta=0.05,
        max_per_image=2,
        epochs=[1],
        num_workers=0)
]
""")
    proc = _run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        str(cfg_file), '--work-dir', work, '--cfg-options',
        *toy_cfg_options(toy_root), 'model.test_cfg.score_thr=0.0'
    ])
    out = osp.join(work, 'pseudo_labels', 'pseudo_final.json')
    assert osp.isfile(out), proc.stdout[-2000:]
    d = json.load(open(out))
    assert d['info']['stats']['images_in'] == 8
    assert d['info']['delta'] == 0.05
    assert d['info']['epoch'] == 1
    # epochs=[1]: also labeled after the first epoch (1-based, as documented)
    after_1 = osp.join(work, 'pseudo_labels', 'pseudo_1.json')
    assert osp.isfile(after_1), proc.stdout[-2000:]
    assert json.load(open(after_1))['info']['epoch'] == 1


def test_cam_tool_on_toy_images(toy_root, tmp_path):
    out = str(tmp_path / 'cam.json')
    proc = _run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'cam_pseudo_label.py'), '--images',
        osp.join(toy_root, 'images', 'val'), '--out', out, '--scales', '96',
        '--no-flip', '--class-agnostic', '--num-workers', '0'
    ])
    d = json.load(open(out))
    assert 'images in: 8' in proc.stdout
    assert d['categories'][0]['name'] == 'object'
    assert d['images'] and d['annotations']
    sizes = {i['id']: (i['width'], i['height']) for i in d['images']}
    for a in d['annotations']:
        x, y, w, h = a['bbox']
        W, H = sizes[a['image_id']]
        assert 0 <= x and 0 <= y and x + w <= W + 1e-3 and y + h <= H + 1e-3
        assert 'segmentation' not in a and 0 < a['score'] <= 1
    assert np.isclose(d['info']['thresholds'], [0.2, 0.3, 0.4, 0.5]).all()


def test_show_tool_draws_images(reference, toy_root, tmp_path):
    out_dir = tmp_path / 'show'
    _run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'analysis_tools',
                 'show_pseudo_labels.py'), reference[0], '--out-dir',
        str(out_dir), '-n', '3'
    ])
    files = sorted(os.listdir(out_dir))
    assert len(files) == 3
    import cv2
    img = cv2.imread(str(out_dir / files[0]))
    assert img is not None and img.shape[2] == 3


def test_eval_tool(reference, toy_root, tmp_path):
    out = str(tmp_path / 'q.json')
    proc = _run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'analysis_tools',
                 'eval_pseudo_labels.py'), reference[0],
        osp.join(toy_root, 'annotations', 'instances_unlabeled.json'), '--out',
        out
    ])
    assert 'class-agnostic quality' in proc.stdout
    q = json.load(open(out))
    assert 0 <= q['bbox_AP'] <= 1 and q['tp'] + q['fn'] > 0

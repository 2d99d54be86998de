# Copyright (c) mmcasp contributors. All rights reserved.
"""Bad input to the tools ends with one ``error:`` line that names the file
(or key) and the fix, a non-zero exit and no traceback, before any Runner
logs its environment or makes a work dir."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmcasp.utils import description
from tests._helpers import REPO_ROOT, TINY_CONFIG, subprocess_env
from tests._standin_models import constant_condinst_checkpoint

TOOLS = osp.join(REPO_ROOT, 'tools')
TRANSFER_TARGET = osp.join(REPO_ROOT, 'configs', 'transfer',
                           'fcos-casp_r18w16_fpn_toy-12e_toy.py')


class _Exploit:

    def __reduce__(self):
        return (os.system, ('true', ))


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('bad')
    empty = d / 'pseudo.json'
    empty.write_text(
        json.dumps(
            dict(
                images=[],
                annotations=[],
                categories=[dict(id=1, name='object')])))
    unsafe = str(d / 'evil.pth')
    torch.save({'state_dict': {}, 'meta': _Exploit()}, unsafe)
    good = constant_condinst_checkpoint(TINY_CONFIG, str(d / 'good.pth'))
    return dict(empty=str(empty), unsafe=unsafe, good=good, dir=str(d))


def _fails_with_one_error_line(args, cwd, *expected):
    proc = subprocess.run(
        [sys.executable] + args,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=subprocess_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in out.splitlines() if line.startswith('error:')]
    assert len(errors) == 1, out[-3000:]
    for text in expected:
        assert text in errors[0], errors[0]
    return errors[0]


def _train_args(toy_root, ann_file, work_dir, *options):
    return [
        osp.join(TOOLS, 'train.py'), TINY_CONFIG, '--work-dir', work_dir,
        '--cfg-options', f'train_dataloader.dataset.data_root={toy_root}/',
        f'train_dataloader.dataset.ann_file={ann_file}', 'val_cfg=None',
        'val_dataloader=None', 'val_evaluator=None', *options
    ]


def test_train_on_pseudo_labels_with_no_label(files, toy_root, tmp_path):
    work = str(tmp_path / 'work')
    _fails_with_one_error_line(
        _train_args(toy_root, files['empty'], work), str(tmp_path),
        files['empty'], 'leaves no image to train on', 'lower delta')
    assert not osp.exists(work)  # stopped before the Runner


def test_train_option_typo_names_the_key(files, toy_root, tmp_path):
    work = str(tmp_path / 'work')
    _fails_with_one_error_line(
        _train_args(toy_root, 'annotations/instances_labeled.json', work,
                    'train_cfg.max_epoch=1'), str(tmp_path),
        "train_cfg.max_epoch: train_cfg has no 'max_epoch'",
        "did you mean 'max_epochs'?")
    assert not osp.exists(work)


def test_train_from_a_refused_checkpoint(files, toy_root, tmp_path):
    work = str(tmp_path / 'work')
    _fails_with_one_error_line(
        _train_args(toy_root, 'annotations/instances_labeled.json', work,
                    f'load_from={files["unsafe"]}'), str(tmp_path),
        f'Refusing to load checkpoint "{files["unsafe"]}"')
    assert not osp.exists(work)
    _fails_with_one_error_line(
        _train_args(toy_root, 'annotations/instances_labeled.json', work,
                    '--resume', osp.join(files['dir'], 'gone.pth')),
        str(tmp_path), 'gone.pth does not exist')


def test_test_tool_without_its_annotation_file(files, tmp_path):
    # the config's data_root, data/toy/, is not under this cwd
    _fails_with_one_error_line(
        [osp.join(TOOLS, 'test.py'), TINY_CONFIG, files['good']],
        str(tmp_path), 'data/toy/annotations/instances_val.json does not '
        'exist', 'test_dataloader.dataset.data_root')
    assert not osp.exists(tmp_path / 'work_dirs')


def test_test_tool_refuses_an_unsafe_checkpoint(files, toy_root, tmp_path):
    _fails_with_one_error_line([
        osp.join(TOOLS, 'test.py'), TINY_CONFIG, files['unsafe'],
        '--cfg-options', f'test_dataloader.dataset.data_root={toy_root}/',
        f'test_evaluator.ann_file={toy_root}/annotations/'
        'instances_val.json'
    ], str(tmp_path), 'Refusing to load checkpoint')


def test_transfer_tool_refuses_an_unsafe_checkpoint(files, tmp_path):
    out = str(tmp_path / 'init.pth')
    _fails_with_one_error_line([
        osp.join(TOOLS, 'model_converters', 'transfer.py'), files['unsafe'],
        TRANSFER_TARGET, '--out', out
    ], str(tmp_path), 'Refusing to load checkpoint')
    assert not osp.exists(out)


def test_pseudo_label_tool_refuses_an_unsafe_checkpoint(
        files, toy_root, tmp_path):
    out = str(tmp_path / 'labels.json')
    _fails_with_one_error_line([
        osp.join(TOOLS, 'pseudo_label.py'), TINY_CONFIG, files['unsafe'],
        '--images',
        osp.join(toy_root, 'images', 'val'), '--out', out
    ], str(tmp_path), 'Refusing to load checkpoint')
    assert not osp.exists(out)


def test_cam_tool_needs_the_config_of_its_checkpoint(files, toy_root,
                                                     tmp_path):
    _fails_with_one_error_line([
        osp.join(TOOLS, 'cam_pseudo_label.py'), '--checkpoint', files['good'],
        '--images',
        osp.join(toy_root, 'images', 'val'), '--out',
        str(tmp_path / 'cam.json')
    ], str(tmp_path), f'--checkpoint {files["good"]} needs the classifier '
                               'config', '--classifier-config')
    _fails_with_one_error_line([
        osp.join(TOOLS, 'cam_pseudo_label.py'), '--classifier-config',
        osp.join(REPO_ROOT, 'configs', 'classifier',
                 'image-cls_r18w16_gap_toy-30e_toy-labels.py'), '--checkpoint',
        files['unsafe'], '--images',
        osp.join(toy_root, 'images', 'val'), '--out',
        str(tmp_path / 'cam.json')
    ], str(tmp_path), 'Refusing to load checkpoint')


def test_help_describes_the_tool_in_whole_sentences():
    assert description('Run a: b -> c,\nd and e.\n\n  more\n') == \
        'Run a: b -> c, d and e.'
    proc = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'casp.py'), '--help'],
        capture_output=True,
        text=True,
        env=subprocess_env())
    assert proc.returncode == 0
    assert 'warmup -> finetune, a baseline finetune from the plain init, ' \
        'evaluation and a report.' in ' '.join(proc.stdout.split())

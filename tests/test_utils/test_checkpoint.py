# Copyright (c) mmcasp contributors. All rights reserved.
"""Runner checkpoints load with weights_only=True; unsafe ones are refused."""
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint, save_checkpoint
from torch.utils.data import Dataset

import mmcasp  # noqa: F401  (installs the safe loader)
from mmcasp.utils import (InputFileError, UnsafeCheckpointError,
                          check_checkpoint, safe_torch_load)
from mmcasp.utils.checkpoint import PLAIN_DATA_DTYPES, _history_buffer_getattr


class _Model(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, x, mode='tensor'):
        x = torch.stack(x) if isinstance(x, list) else x
        out = self.fc(x)
        if mode == 'loss':
            return dict(loss=((out - 1)**2).mean())
        return out


class _Data(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(x=torch.full((2, ), float(i)))


def _runner(work_dir, max_epochs, **kwargs):
    return Runner(
        model=_Model(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=_Data(),
            batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        param_scheduler=dict(type='MultiStepLR', milestones=[1]),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        experiment_name=f'ckpt_{osp.basename(work_dir)}_{max_epochs}',
        **kwargs)


@pytest.fixture(scope='module')
def runner_ckpt(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('ckpt'))
    runner = _runner(work_dir, max_epochs=1)
    runner.train()
    path = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(path)
    return path, runner.model.state_dict()


def test_runner_checkpoint_needs_the_allow_list(runner_ckpt):
    """The checkpoint really holds non-tensor types (else the test is
    vacuous)."""
    path, _ = runner_ckpt
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        with pytest.raises(pickle.UnpicklingError):
            torch.load(path, weights_only=True)
    finally:
        torch.serialization.add_safe_globals(saved)
    assert any('HistoryBuffer' in g for g in unsafe)
    assert any(g.startswith('numpy') for g in unsafe)
    assert 'builtins.getattr' in unsafe


def test_safe_torch_load_reads_runner_checkpoint(runner_ckpt):
    path, _ = runner_ckpt
    ckpt = safe_torch_load(path, map_location='cpu')
    assert set(ckpt) >= {'meta', 'state_dict', 'message_hub', 'optimizer'}
    buffers = ckpt['message_hub']['log_scalars']
    assert isinstance(next(iter(buffers.values())), HistoryBuffer)


def test_load_checkpoint(runner_ckpt):
    path, state = runner_ckpt
    model = _Model()
    load_checkpoint(model, path, map_location='cpu')
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k])


def test_load_from_and_resume(runner_ckpt, tmp_path):
    path, state = runner_ckpt
    runner = _runner(str(tmp_path / 'load'), max_epochs=1, load_from=path)
    runner.load_or_resume()
    for k, v in runner.model.state_dict().items():
        assert torch.equal(v, state[k])

    resumed = _runner(
        str(tmp_path / 'resume'), max_epochs=2, load_from=path, resume=True)
    resumed.train()
    assert resumed.train_loop.epoch == 2
    assert osp.isfile(str(tmp_path / 'resume' / 'epoch_2.pth'))
    assert not osp.isfile(str(tmp_path / 'resume' / 'epoch_1.pth'))


class _Exploit:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_checkpoint_with_arbitrary_callable_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    bad = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': _Exploit(marker)}, str(bad))
    with pytest.raises(UnsafeCheckpointError) as e:
        load_checkpoint(_Model(), str(bad), map_location='cpu')
    assert str(bad) in str(e.value)
    assert isinstance(e.value, pickle.UnpicklingError)
    assert not marker.exists()


def test_check_checkpoint_before_loading(runner_ckpt, tmp_path):
    """The cheap check the tools run before a Runner exists: a Runner
    checkpoint passes, a missing file, a folder and an unsafe pickle are
    refused with the loader's own message, without unpickling anything."""
    check_checkpoint(runner_ckpt[0])  # HistoryBuffer, numpy...: allowed
    with pytest.raises(InputFileError, match='nope.pth does not exist'):
        check_checkpoint(str(tmp_path / 'nope.pth'))
    with pytest.raises(InputFileError, match='is a folder'):
        check_checkpoint(str(tmp_path))
    marker = tmp_path / 'pwned'
    bad = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': _Exploit(marker)}, str(bad))
    with pytest.raises(UnsafeCheckpointError) as e:
        check_checkpoint(str(bad))
    assert f'Refusing to load checkpoint "{bad}"' in str(e.value)
    assert 'system' in str(e.value)  # the offending global, named
    assert not marker.exists()


def test_getattr_only_reaches_history_buffer_statistics():
    assert _history_buffer_getattr(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean
    with pytest.raises(UnsafeCheckpointError):
        _history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(UnsafeCheckpointError):
        _history_buffer_getattr(os, 'system')


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        safe_torch_load(str(tmp_path / 'nope.pth'))


def _equal(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(
            _equal(x, y) for x, y in zip(a, b))
    if isinstance(a, HistoryBuffer):
        return _equal(a.data, b.data) and a.max_length == b.max_length
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and \
            a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return type(a) is type(b) and a.tobytes() == b.tobytes()
    return a == b


def _runner_like_values():
    """Every kind of value an mmengine Runner checkpoint's meta holds."""
    full = HistoryBuffer()
    for v in (1.0, 2.5, 4.0):
        full.update(v)
    values = dict(
        message_hub=dict(
            log_scalars={
                'train/loss': full,
                'train/empty': HistoryBuffer()
            },
            runtime_info=dict(epoch=3, iter=120, best_score=np.float64(0.5))),
        nested=[(1, 'a', None, True), {
            'k': [1.5, (2, 3)]
        }],
        seed=np.int64(7))
    for name in PLAIN_DATA_DTYPES:
        dt = np.dtype(name)
        values[f'array_{name}'] = np.zeros((2, 3), dt)
        values[f'empty_{name}'] = np.zeros((0, ), dt)
        values[f'scalar_{name}'] = np.zeros(1, dt)[0]
    return values


def test_every_runner_checkpoint_value_loads(tmp_path):
    values = _runner_like_values()
    path = str(tmp_path / 'meta.pth')
    torch.save(dict(state_dict={'w': torch.ones(2)}, meta=values), path)
    loaded = safe_torch_load(path)
    assert _equal(values, loaded['meta'])
    # an empty HistoryBuffer (numpy pickles its empty array via bytes())
    # also loads through mmengine's checkpoint loader
    model = _Model()
    save_checkpoint(dict(state_dict=model.state_dict(), meta=values), path)
    assert _equal(values, load_checkpoint(model, path)['meta'])


def test_numpy_object_array_hiding_a_callable_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    bad = tmp_path / 'objarr.pth'
    torch.save({'meta': np.array([_Exploit(marker), 1], dtype=object)},
               str(bad))
    with pytest.raises(UnsafeCheckpointError) as e:
        safe_torch_load(str(bad))
    msg = str(e.value)
    assert str(bad) in msg and 'system' in msg
    assert 'Please file an issue' not in msg
    assert not marker.exists()


def test_plain_object_array_is_refused_with_its_type(tmp_path):
    bad = tmp_path / 'objects.pth'
    torch.save({'meta': np.array([1, 'a'], dtype=object)}, str(bad))
    with pytest.raises(UnsafeCheckpointError) as e:
        safe_torch_load(str(bad))
    assert 'dtype object' in str(e.value)
    assert 'Please file an issue' not in str(e.value)

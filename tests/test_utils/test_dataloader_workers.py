# Copyright (c) mmcasp contributors. All rights reserved.
"""A finished Runner's persistent DataLoader workers stop when asked, not
in a later garbage collection (where each join waited out 5 s)."""
import multiprocessing

import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import DataLoader, Dataset

from mmcasp.utils import shut_down_runner_workers, shut_down_workers


class _Numbers(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.tensor([float(i)]))


class _Linear(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(inputs)
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def _loader_cfg():
    return dict(
        dataset=_Numbers(),
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=2,
        num_workers=2,
        persistent_workers=True,
        collate_fn=dict(type='default_collate'))


def _new_children(before: set) -> set:
    """Child processes started since ``before`` (other tests' may live)."""
    return set(multiprocessing.active_children()) - before


def test_a_loader_s_workers_stop_and_it_still_loads():
    before = set(multiprocessing.active_children())
    loader = DataLoader(
        _Numbers(), batch_size=2, num_workers=2, persistent_workers=True)
    assert sum(len(b['inputs']) for b in loader) == 8
    workers = _new_children(before)
    assert len(workers) == 2 and all(w.is_alive() for w in workers)
    shut_down_workers(loader)
    assert not any(w.is_alive() for w in workers)
    assert sum(len(b['inputs']) for b in loader) == 8  # new workers
    shut_down_workers(loader)
    shut_down_workers(loader)  # nothing left to stop
    shut_down_workers(DataLoader(_Numbers()))  # no workers at all
    assert not _new_children(before)


def test_a_finished_runner_s_workers_stop_and_unbuilt_loops_stay_unbuilt(
        tmp_path):
    before = set(multiprocessing.active_children())
    runner = Runner(
        model=_Linear(),
        work_dir=str(tmp_path),
        train_dataloader=_loader_cfg(),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        test_dataloader=_loader_cfg(),
        test_cfg=dict(),
        test_evaluator=dict(
            type='DumpResults', out_file_path=str(tmp_path / 'out.pkl')),
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmengine')
    runner.train()
    workers = _new_children(before)
    assert len(workers) == 2  # the train loader's, persistent
    shut_down_runner_workers(runner)
    assert not any(w.is_alive() for w in workers)
    # the test loop was never built, and asking did not build it
    assert isinstance(runner.__dict__['_test_loop'], dict)

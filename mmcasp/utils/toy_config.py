# Copyright (c) mmcasp contributors. All rights reserved.
"""Point a config that reads the toy dataset at a given toy folder."""
from mmengine.config import Config

__all__ = ['retarget_data_root']


def retarget_data_root(cfg: Config, data_root: str) -> Config:
    """Set ``data_root`` of every dataloader and the evaluators' ``ann_file``.

    The toy configs write ``data_root + 'annotations/...'`` into the
    evaluators when the config is parsed, so changing ``data_root`` alone is
    not enough; this rewrites both, in place.

    Args:
        cfg: A config whose datasets use ``data_root`` (possibly wrapped in
            ``dataset=dict(dataset=...)``).
        data_root: New root, e.g. ``'work_dirs/demo/data/'``.

    Returns:
        Config: ``cfg``.
    """
    root = data_root.rstrip('/') + '/'
    old_roots = set()
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if not loader:
            continue
        ds = loader['dataset']
        while 'dataset' in ds:
            ds = ds['dataset']
        if ds.get('data_root'):
            old_roots.add(ds['data_root'])
        ds['data_root'] = root
    for name in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(name)
        if not evaluator:
            continue
        for metric in evaluator if isinstance(evaluator,
                                              list) else [evaluator]:
            ann = metric.get('ann_file')
            if not ann:
                continue
            for old in old_roots:
                if ann.startswith(old):
                    metric['ann_file'] = root + ann[len(old):]
                    break
    return cfg

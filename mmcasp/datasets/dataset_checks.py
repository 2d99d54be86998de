# Copyright (c) mmcasp contributors. All rights reserved.
"""Is a config's data there, and does it leave anything to train on?

A Runner builds its datasets only when its loops start, after it has made
the work dir and logged the environment and the whole config; a missing
annotation file then ends in pycocotools' ``FileNotFoundError`` and a
training file with no usable image in ``np.concatenate``'s "need at least
one array to concatenate", both deep in a traceback. The tools and the
pipeline call :func:`check_datasets` before any Runner exists instead, and
stop with one :class:`DatasetCheckError` line naming the file and the fix.

:func:`empty_dataset_problems` builds each training dataset as the Runner
will (same class, same ``filter_cfg``) and asks it what it keeps, so
"nothing to train on" means exactly what the Runner would meet.
:class:`~mmcasp.datasets.ClassAgnosticCocoDataset` raises
:class:`EmptyDatasetError` itself, with the same message, for code that
builds it without these tools.
"""
import copy
import os.path as osp
from typing import Iterator, List, Optional, Sequence

from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope

from mmcasp.utils.input_files import InputFileError

__all__ = [
    'DatasetCheckError', 'EmptyDatasetError', 'leaf_datasets', 'ann_file_path',
    'store_path', 'annotation_file_problems', 'empty_dataset_message',
    'empty_dataset_problems', 'check_datasets'
]


class DatasetCheckError(InputFileError):
    """A config's dataset cannot be used as it is (see the message)."""


class EmptyDatasetError(DatasetCheckError):
    """A dataset keeps no image (nothing to train on, or to score)."""


def leaf_datasets(loader: Optional[dict]) -> Iterator[ConfigDict]:
    """The datasets of a dataloader config, inside wrappers
    (``RepeatDataset``'s ``dataset``, ``ConcatDataset``'s ``datasets``)."""
    todo = [(loader or {}).get('dataset')]
    while todo:
        ds = todo.pop()
        if not ds:
            continue
        if 'dataset' in ds:
            todo.append(ds['dataset'])
        elif 'datasets' in ds:
            todo.extend(ds['datasets'])
        else:
            yield ds


def ann_file_path(ds: dict) -> Optional[str]:
    """Where a dataset config's ``ann_file`` is, as mmengine's
    ``BaseDataset`` joins it (relative to ``data_root``); ``None`` without
    one or for a remote path (``s3://...``), which is not checked here."""
    ann = ds.get('ann_file')
    if not ann or '://' in str(ann):
        return None
    root = ds.get('data_root') or ''
    return ann if osp.isabs(ann) or '://' in root else osp.join(root, ann)


def store_path(ds: dict) -> Optional[str]:
    """Where a dataset config's label ``store`` is (relative to
    ``data_root``, as ``PseudoLabelDataset`` joins it); ``None`` without
    one."""
    store = ds.get('store')
    if not store or '://' in str(store):
        return None
    root = ds.get('data_root') or ''
    return store if osp.isabs(store) else osp.join(root, store)


def _evaluator_files(evaluator) -> Iterator[str]:
    for metric in evaluator if isinstance(evaluator,
                                          (list, tuple)) else [evaluator]:
        ann = (metric or {}).get('ann_file')
        if ann and '://' not in str(ann):
            yield ann


def annotation_file_problems(
    cfg: Config,
    loaders: Sequence[str] = ('train_dataloader', 'val_dataloader',
                              'test_dataloader'),
    evaluators: Sequence[str] = ('val_evaluator', 'test_evaluator')
) -> List[str]:
    """One line per annotation file the named loaders' datasets and
    evaluators would read that does not exist (or is a folder); a file is
    named once."""
    problems, seen = [], set()
    for name in loaders:
        for ds in leaf_datasets(cfg.get(name)):
            path = ann_file_path(ds)
            if path is None or osp.isfile(path) or \
                    osp.normpath(path) in seen:
                continue
            seen.add(osp.normpath(path))
            what = 'is a folder' if osp.isdir(path) else 'does not exist'
            problems.append(
                f'{name}: the annotation file {path} {what} (data_root '
                f'{ds.get("data_root")!r} + ann_file {ds.get("ann_file")!r});'
                f' set {name}.dataset.data_root / ann_file (in the config or '
                'with --cfg-options) to the file')
    for name in loaders:
        for ds in leaf_datasets(cfg.get(name)):
            path = store_path(ds)
            if path is None or osp.isdir(path) or \
                    osp.normpath(path) in seen:
                continue
            seen.add(osp.normpath(path))
            problems.append(
                f'{name}: the label store {path} does not exist (data_root '
                f'{ds.get("data_root")!r} + store {ds.get("store")!r}); set '
                f'{name}.dataset.store to the folder tools/pseudo_label.py '
                '--out DIR wrote')
    for name in evaluators:
        for path in _evaluator_files(cfg.get(name)):
            if not osp.isfile(path) and osp.normpath(path) not in seen:
                seen.add(osp.normpath(path))
                problems.append(
                    f'{name}: the annotation file {path} does not exist; set '
                    f'{name}.ann_file to the ground truth of the split it '
                    'scores')
    return problems


def empty_dataset_message(source: str, data_list: Sequence[dict],
                          filter_cfg: Optional[dict], test_mode: bool) -> str:
    """Why a dataset keeps no image, and what to do: one line.

    Args:
        source: The annotation file (or what the dataset reads).
        data_list: The dataset's images before ``filter_cfg`` (mmdet's
            data infos: ``instances`` with ``ignore_flag``), or a sequence
            that counts its labeled images itself (``labeled_images()``,
            e.g. a label store's index).
        filter_cfg: The dataset's ``filter_cfg``.
        test_mode: The dataset is a val/test set (nothing is filtered).
    """
    listed = len(data_list)
    if hasattr(data_list, 'labeled_images'):  # a label store's index
        labeled = data_list.labeled_images()
    else:
        labeled = sum(
            any(not i.get('ignore_flag', 0) for i in d.get('instances', []))
            for d in data_list)
    if test_mode:
        return (f'{source} lists no image to score: give the split\'s '
                'annotation file with its images')
    return (f'{source} leaves no image to train on: it lists {listed} '
            f'images, {labeled} of them with a label of the config\'s '
            f'classes, and filter_cfg={filter_cfg} keeps none. A pseudo-'
            'label file: label again with a lower delta (pseudo_label.py '
            '--delta, the pipeline\'s pseudo.delta) or a better-trained '
            'labeler (the score histogram pseudo_label.py prints shows '
            'where its scores fall); a labeled file: check that its '
            'categories are the config\'s metainfo classes and that its '
            'images have annotations')


def _kept_images(ds_cfg: dict, scope: str) -> tuple:
    """``(images before the filter, images kept, dataset)`` of a dataset
    config, built as the Runner builds it (its class, its
    ``filter_cfg``)."""
    from mmcasp.registry import DATASETS
    from mmcasp.utils.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = copy.deepcopy(dict(ds_cfg))
    cfg.update(lazy_init=True, serialize_data=False)
    with DefaultScope.overwrite_default_scope(scope):
        ds = DATASETS.build(cfg)
    listed = ds.load_data_list()
    ds.data_list = listed
    try:
        kept = len(ds.filter_data())
    except EmptyDatasetError:  # mmcasp's datasets say so themselves
        kept = 0
    return listed, kept, ds


def empty_dataset_problems(
        cfg: Config,
        loaders: Sequence[str] = ('train_dataloader', ),
) -> List[str]:
    """One line per dataset of the named loaders that keeps no image
    (:func:`empty_dataset_message`); datasets whose annotation file does
    not exist are left to :func:`annotation_file_problems`."""
    problems = []
    scope = cfg.get('default_scope') or 'mmcasp'
    for name in loaders:
        for ds_cfg in leaf_datasets(cfg.get(name)):
            path = ann_file_path(ds_cfg)
            if path is not None and not osp.isfile(path):
                continue
            try:
                listed, kept, ds = _kept_images(ds_cfg, scope)
            except InputFileError as e:  # e.g. a label store not whole
                problems.append(f'{name}: {e}')
                continue
            if not kept:
                problems.append(f'{name}: ' + empty_dataset_message(
                    path or store_path(ds_cfg)
                    or ds_cfg.get('type', 'the dataset'), listed,
                    ds.filter_cfg, ds.test_mode))
    return problems


def check_datasets(
    cfg: Config,
    loaders: Sequence[str],
    evaluators: Sequence[str] = (),
    train_loaders: Sequence[str] = ()
) -> None:
    """Raise :class:`DatasetCheckError` if an annotation file of
    ``loaders`` / ``evaluators`` is missing, or a dataset of
    ``train_loaders`` keeps no image."""
    problems = annotation_file_problems(cfg, loaders, evaluators)
    if not problems:
        problems = empty_dataset_problems(cfg, train_loaders)
    if problems:
        raise DatasetCheckError('\n'.join(problems))

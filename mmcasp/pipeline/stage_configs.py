# Copyright (c) mmcasp contributors. All rights reserved.
"""A stage's Runner config from its mmdet config, as pure functions.

Each function takes a Config and returns a new one (the argument is left
as it was), so each step can be tested without training. The pipeline
applies them in the order of :func:`build_stage_config`: data, evaluation,
schedule, runtime (work dir, checkpoints, resume, seed, launcher, DDP),
then the user's overrides, which therefore win over everything else.
"""
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, ConfigDict
from mmengine.runner import find_latest_checkpoint

from mmcasp.utils import (cpu_model_wrapper_cfg, package_root,
                          rescale_param_schedulers, set_dotted)
from .errors import PipelineError

__all__ = [
    'resolve_config', 'predicts_masks', 'is_panoptic', 'innermost_dataset',
    'loads_masks', 'is_self_supervised', 'train_classes',
    'trains_on_image_labels', 'validates_on_test_split', 'evaluators',
    'with_data', 'with_evaluation', 'with_epochs', 'with_runtime',
    'with_overrides', 'with_transfer_init', 'build_stage_config',
    'eval_config', 'with_resume_point'
]


def resolve_config(path: str) -> str:
    """A config path as given, or relative to mmcasp's shipped configs."""
    if osp.isfile(path):
        return osp.abspath(path)
    shipped = osp.join(package_root(), '.mim', path)
    if osp.isfile(shipped):
        return shipped
    raise PipelineError(f'config {path} not found (also not in {shipped})')


def predicts_masks(model: dict) -> bool:
    """Whether a detector config predicts instance masks (CondInst, Mask
    R-CNN, PanopticFPN) or boxes only (FCOS, RetinaNet, ...)."""
    return 'mask_head' in model or 'mask_head' in model.get('roi_head', {})


def is_panoptic(model: dict) -> bool:
    """Whether a detector config is a panoptic segmentor (PanopticFPN)."""
    return 'panoptic_fusion_head' in model


def innermost_dataset(loader: ConfigDict) -> ConfigDict:
    """The dataset of a loader config, inside any dataset wrappers."""
    ds = loader['dataset']
    while 'dataset' in ds:
        ds = ds['dataset']
    return ds


def loads_masks(cfg: Config) -> bool:
    """Whether the training pipeline of ``cfg`` loads instance masks."""
    ds = innermost_dataset(cfg.train_dataloader)
    return any(
        t.get('type') in ('LoadAnnotations', 'LoadPanopticAnnotations')
        and t.get('with_mask', False) for t in ds.get('pipeline', []))


def is_self_supervised(cfg: Config) -> bool:
    """Whether a stage config pretrains without boxes (PreDet on an
    ``ImageDataset``): it trains on the unlabeled images and is not
    evaluated."""
    return innermost_dataset(
        cfg.train_dataloader).get('type') == 'ImageDataset'


def train_classes(cfg: Config) -> Optional[tuple]:
    """The class names a stage config trains on: its training dataset's
    ``metainfo.classes``, else its dataset type's (mmdet's
    ``CocoDataset``: the 80 COCO classes); ``None`` if neither says."""
    ds = innermost_dataset(cfg.train_dataloader)
    classes = (ds.get('metainfo') or {}).get('classes')
    if classes is None:
        from mmcasp.registry import DATASETS
        dataset = DATASETS.get(ds.get('type', ''))
        classes = getattr(dataset, 'METAINFO', {}).get('classes')
    return tuple(classes) if classes else None


def trains_on_image_labels(cfg: Config) -> bool:
    """Whether a stage config learns from image-level labels (an
    ``ImageDataset`` with ``with_labels``: PreDet's classification loss,
    DAP's classifier)."""
    ds = innermost_dataset(cfg.train_dataloader)
    return ds.get('type') == 'ImageDataset' and bool(ds.get('with_labels'))


def _set_split(loader: ConfigDict, split: dict) -> None:
    """Point ``loader``'s dataset at ``split``. Pseudo labels in a label
    store (``ann`` not a ``.json``) are read by ``PseudoLabelDataset``,
    class-agnostic when the config's dataset is."""
    from mmcasp.pseudo_labels.label_store import is_store_path
    ds = innermost_dataset(loader)
    ds['data_root'] = ''
    if is_store_path(split['ann']):
        agnostic = str(ds.get('type', '')).endswith('ClassAgnosticCocoDataset')
        ds.pop('ann_file', None)
        ds.update(
            type='mmcasp.PseudoLabelDataset',
            store=osp.abspath(split['ann']),
            class_agnostic=agnostic)
    else:
        ds['ann_file'] = osp.abspath(split['ann'])
    ds['data_prefix'] = dict(img=osp.abspath(split['img']) + os.sep)
    if split.get('seg') is not None:
        ds['data_prefix']['seg'] = osp.abspath(split['seg']) + os.sep
    if ds.get('type') == 'ImageDataset' and ds.get('with_labels'):
        # the split's image-level labels (None: those of ann_file itself);
        # the test of trains_on_image_labels, on the loader's dataset
        ds['labels_file'] = split.get('image_labels')


def evaluators(split: dict,
               class_specific: bool,
               model: dict,
               entities: bool = False) -> List[dict]:
    """Evaluators of a model on ``split`` (``dict(ann, img[, panoptic])``).

    Class-agnostic AP always (boxes, and masks when the model predicts
    them): AP^det-a (``agnostic/...``), or with ``entities`` AP^e
    (``entity/...``, on an entity file); class-specific ``CocoMetric`` for
    class-specific models, or ``CocoPanopticMetric`` (PQ) for panoptic
    targets.
    """
    if is_panoptic(model):
        return [
            dict(
                type='CocoPanopticMetric',
                ann_file=split['panoptic']['ann'],
                seg_prefix=split['panoptic']['seg'] + os.sep)
        ]
    metric = ['bbox', 'segm'] if predicts_masks(model) else ['bbox']
    evals = [
        dict(
            type='ClassAgnosticCocoMetric',
            ann_file=osp.abspath(split['ann']),
            metric=metric,
            **(dict(class_name='entity', prefix='entity') if entities else {}))
    ]
    if class_specific:
        evals.insert(
            0,
            dict(
                type='CocoMetric',
                ann_file=osp.abspath(split['ann']),
                metric=metric))
    return evals


def _panoptic_split(split: dict) -> dict:
    """A split's panoptic labels as a split (``ann``, ``img``, ``seg``)."""
    return dict(
        ann=split['panoptic']['ann'],
        img=split['img'],
        seg=split['panoptic']['seg'])


def validates_on_test_split(cfg: Config) -> bool:
    """The config's validation scores what its test loop would: the same
    dataloader and evaluators, mmengine's plain ``ValLoop``/``TestLoop``
    with the same options (a pipeline stage's config always does, but a
    user's ``cfg_options`` may change one of them, or a config may bring a
    loop of its own, e.g. one that prefixes its metrics)."""
    if cfg.get('val_dataloader') is None or cfg.get('test_dataloader') is None:
        return False
    loops = []
    for key, plain in (('val_cfg', 'ValLoop'), ('test_cfg', 'TestLoop')):
        loop = dict(cfg.get(key) or {})
        if loop.pop('type', plain) != plain:
            return False
        loops.append(loop)
    return (loops[0] == loops[1] and cfg.val_dataloader == cfg.test_dataloader
            and cfg.get('val_evaluator') == cfg.get('test_evaluator'))


def with_data(cfg: Config,
              train: dict,
              val: Optional[dict],
              class_specific: bool = True) -> Config:
    """Train on ``train`` and validate/test on ``val`` (``dict(ann, img[,
    panoptic])``). A self-supervised config trains on the images alone and
    loses its validation and test loops; a class-specific panoptic target
    reads the splits' panoptic labels."""
    cfg = copy.deepcopy(cfg)
    if is_self_supervised(cfg):
        _set_split(cfg.train_dataloader, train)
        for key in ('val_dataloader', 'test_dataloader', 'val_cfg', 'test_cfg',
                    'val_evaluator', 'test_evaluator'):
            cfg[key] = None
        cfg.train_cfg.pop('val_interval', None)
        return cfg
    panoptic = class_specific and is_panoptic(cfg.model)
    _set_split(cfg.train_dataloader,
               _panoptic_split(train) if panoptic else train)
    for loader in ('val_dataloader', 'test_dataloader'):
        _set_split(cfg[loader], _panoptic_split(val) if panoptic else val)
    return cfg


def with_evaluation(cfg: Config,
                    val: dict,
                    class_specific: bool,
                    entities: bool = False) -> Config:
    """The evaluators of :func:`evaluators` for validation and test (none
    for a self-supervised config)."""
    cfg = copy.deepcopy(cfg)
    if cfg.get('val_dataloader') is None:
        return cfg
    cfg.val_evaluator = evaluators(val, class_specific, cfg.model, entities)
    cfg.test_evaluator = copy.deepcopy(cfg.val_evaluator)
    return cfg


def with_epochs(cfg: Config, epochs: Optional[int]) -> Config:
    """Train for ``epochs`` (``None``: as configured), validating once at
    the end, with every parameter scheduler rescaled proportionally
    (:func:`~mmcasp.utils.rescale_param_schedulers`: milestones, ``end``,
    ``T_max``, ... scale with the epochs; iteration warm-ups stay)."""
    cfg = copy.deepcopy(cfg)
    if not epochs:
        return cfg
    old = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    if cfg.get('val_dataloader') is not None:
        cfg.train_cfg.val_interval = epochs
    if cfg.get('param_scheduler'):
        cfg.param_scheduler = rescale_param_schedulers(cfg.param_scheduler,
                                                       old, epochs)
    return cfg


def with_runtime(cfg: Config,
                 work_dir: str,
                 name: str,
                 seed: int,
                 launcher: str = 'none',
                 vis_backends: Optional[Sequence[dict]] = None) -> Config:
    """Where and how a stage runs: its work dir and experiment name, a
    checkpoint every epoch (the last two kept), a log line at least every
    30 s (:class:`~mmcasp.engine.hooks.TimedLoggerHook`), resume from the
    last one, the seed, the launcher, and ``find_unused_parameters``
    (unless the config sets it): under DDP a rank whose batch has no
    positive location (common on sparse pseudo labels) leaves CondInst's
    controller and mask head without gradients, and the other ranks would
    wait forever in the gradient all-reduce."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    cfg.visualizer.name = f'{name}_visualizer'
    if vis_backends:
        cfg.visualizer.vis_backends = copy.deepcopy(list(vis_backends))
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=2)
    # a line at least every 30 s, whatever the iteration time
    cfg.default_hooks.logger = dict(
        cfg.default_hooks.get('logger') or {},
        type='mmcasp.TimedLoggerHook',
        max_seconds=30.)
    cfg.resume = True
    cfg.randomness = dict(seed=seed)
    cfg.launcher = launcher
    cfg.setdefault('find_unused_parameters', True)
    return cfg


def with_resume_point(cfg: Config) -> Config:
    """``resume=True`` made explicit, right before the Runner is built: a
    stage whose work dir holds a checkpoint resumes from the latest one
    (``load_from`` set to it); a fresh stage starts with ``resume=False``
    (a ``load_from`` of the config loads weights, as usual). Left to
    mmengine, every fresh stage opened with "Auto resumed from the latest
    checkpoint None.", and a ``load_from`` in the config would be resumed
    from (its epoch and optimizer) instead of the stage's own checkpoint.
    """
    if cfg.get('resume') is not True:
        return cfg
    cfg = copy.deepcopy(cfg)
    latest = find_latest_checkpoint(cfg.work_dir)
    cfg.resume = latest is not None
    if latest is not None:
        cfg.load_from = latest
    return cfg


def with_overrides(cfg: Config, cfg_options: Dict[str, object]) -> Config:
    """The user's ``cfg_options`` (dotted keys, as mmdet's tools take
    them), then a model wrapper that runs DDP on CPUs."""
    cfg = copy.deepcopy(cfg)
    for key, value in (cfg_options or {}).items():
        cfg.merge_from_dict({key: value})
    cpu_model_wrapper_cfg(cfg)  # DDP without device ids on CPU
    return cfg


def with_values(cfg: Config, values: Dict[str, object]) -> Config:
    """Set dotted keys to ``values``, replacing what is there (no merge
    with the config's own dict or ``None``; missing parents are made)."""
    cfg = copy.deepcopy(cfg)
    for key, value in (values or {}).items():
        set_dotted(cfg, key, copy.deepcopy(value))
    return cfg


def with_transfer_init(cfg: Config,
                       checkpoint: Optional[str],
                       parts: Sequence[str] = ('backbone', 'neck', 'head'),
                       classifier: str = 'random') -> Config:
    """Initialise from a warmed-up ``checkpoint`` with
    :class:`~mmcasp.surgery.CaSPTransfer` (``None``: the config's plain
    init, e.g. the baseline). A transfer config's placeholder checkpoint
    is replaced either way."""
    cfg = copy.deepcopy(cfg)
    init = cfg.model.get('init_cfg') or {}
    if 'CaSPTransfer' in str(init.get('type', '')):
        cfg.model.pop('init_cfg')
    if checkpoint is not None:
        cfg.model.init_cfg = dict(
            type='mmcasp.CaSPTransfer',
            checkpoint=checkpoint,
            parts=list(parts),
            classifier=classifier)
    return cfg


def build_stage_config(cfg: Config,
                       *,
                       train: dict,
                       val: dict,
                       class_specific: bool,
                       epochs: Optional[int],
                       work_dir: str,
                       name: str,
                       seed: int,
                       launcher: str = 'none',
                       vis_backends: Optional[Sequence[dict]] = None,
                       cfg_options: Optional[dict] = None,
                       entities: bool = False,
                       values: Optional[dict] = None) -> Config:
    """All steps, in the order that matters: the overrides come last.
    ``entities``: ``train`` and ``val`` are entity files, scored as AP^e.
    ``values``: dotted keys the pipeline sets (:func:`with_values`, e.g. a
    labeler's backbone init), before the user's ``cfg_options``."""
    cfg = with_data(cfg, train, val, class_specific)
    cfg = with_evaluation(cfg, val, class_specific, entities)
    cfg = with_epochs(cfg, epochs)
    cfg = with_runtime(cfg, work_dir, name, seed, launcher, vis_backends)
    cfg = with_values(cfg, values or {})
    return with_overrides(cfg, cfg_options or {})


def eval_config(cfg: Config,
                split: dict,
                checkpoint: str,
                work_dir: str,
                name: str,
                launcher: str = 'none') -> Config:
    """Score ``checkpoint`` (a finished stage with config ``cfg``) on
    another COCO-format ``split``, class-specific and class-agnostic."""
    cfg = copy.deepcopy(cfg)
    _set_split(cfg.test_dataloader, split)
    cfg.test_evaluator = evaluators(split, True, cfg.model)
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.model.pop('init_cfg', None)
    cfg.launcher = launcher
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    cfg.visualizer.name = name + '_vis'
    return cfg

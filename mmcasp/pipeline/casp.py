# Copyright (c) mmcasp contributors. All rights reserved.
"""The CaSP pipeline: labeler -> pseudo labels -> warmup -> finetune (and a
baseline finetuned from the plain init) -> evaluation and report.

Each training stage is a real mmengine Runner with its own work dir
(``<work_dir>/<stage>/``: config dump, logs, checkpoints). A stage is done
when its ``done.json`` exists (written atomically at its end, naming its
checkpoint); re-running skips done stages and resumes a half-finished
training stage from its last checkpoint. Inputs are checked before any
training starts.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config, ConfigDict
from mmengine.dist import barrier, broadcast_object_list, get_dist_info
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmcasp.datasets.mask_loading import drops_rle_masks, rle_mask_problems
from mmcasp.pseudo_labels import (CamPredictor, DetectorPredictor,
                                  build_cam_classifier, collect_images,
                                  dump_json_atomic, run_pseudo_labeling)
from mmcasp.utils import (InputFileError, coco_problems, cpu_model_wrapper_cfg,
                          format_problems, load_config, load_json,
                          package_root, register_all_modules)
from .sweep import stage_settings

__all__ = [
    'STAGES', 'PipelineError', 'CaspPipeline', 'resolve_config',
    'prepare_casp', 'predicts_masks', 'is_panoptic', 'loads_masks',
    'is_self_supervised'
]

STAGES = ('labeler', 'pseudo', 'warmup', 'finetune', 'baseline', 'evaluate')


class PipelineError(ValueError):
    """A configuration problem found before (or between) stages."""


def resolve_config(path: str) -> str:
    """A config path as given, or relative to mmcasp's shipped configs."""
    if osp.isfile(path):
        return osp.abspath(path)
    shipped = osp.join(package_root(), '.mim', path)
    if osp.isfile(shipped):
        return shipped
    raise PipelineError(f'config {path} not found (also not in {shipped})')


def prepare_casp(cfg: Config,
                 work_dir: str,
                 data_root: Optional[str] = None) -> dict:
    """The ``casp`` dict of a pipeline config with absolute data paths.

    Paths in ``casp.data`` are relative to ``data_root`` (argument, else
    the config's). With neither, and a ``toy`` entry in the config, the toy
    dataset is generated once under ``<work_dir>/data``.
    """
    root = data_root or cfg.get('data_root')
    if root is None:
        if not cfg.get('toy'):
            raise PipelineError('give a data root: the config has no '
                                'data_root and no toy data settings')
        root = osp.join(work_dir, 'data')
        marker = osp.join(root, 'toy.json')
        toy = cfg.toy.to_dict()
        fresh = osp.isfile(marker) and json.load(open(marker)) == toy
        if not fresh and get_dist_info()[0] == 0:
            from mmcasp.datasets import make_toy_dataset
            print_log(
                f'[casp] generating the toy dataset under {root}',
                logger='current')
            make_toy_dataset(root, **toy)
            dump_json_atomic(toy, marker)
        barrier()  # other ranks wait for rank 0's data
    casp = cfg.casp.to_dict()
    for split in casp['data'].values():
        for d in (split, split.get('panoptic') or {}):
            for key in ('ann', 'img', 'seg'):
                if key in d and not osp.isabs(d[key]):
                    d[key] = osp.abspath(osp.join(root, d[key]))
    return casp


def predicts_masks(model: dict) -> bool:
    """Whether a detector config predicts instance masks (CondInst, Mask
    R-CNN, PanopticFPN) or boxes only (FCOS, RetinaNet, ...)."""
    return 'mask_head' in model or 'mask_head' in model.get('roi_head', {})


def is_panoptic(model: dict) -> bool:
    """Whether a detector config is a panoptic segmentor (PanopticFPN)."""
    return 'panoptic_fusion_head' in model


def _innermost_dataset(loader: ConfigDict) -> ConfigDict:
    """The dataset of a loader config, inside any dataset wrappers."""
    ds = loader['dataset']
    while 'dataset' in ds:
        ds = ds['dataset']
    return ds


def loads_masks(cfg: Config) -> bool:
    """Whether the training pipeline of ``cfg`` loads instance masks."""
    ds = _innermost_dataset(cfg.train_dataloader)
    return any(
        t.get('type') in ('LoadAnnotations', 'LoadPanopticAnnotations')
        and t.get('with_mask', False) for t in ds.get('pipeline', []))


def is_self_supervised(cfg: Config) -> bool:
    """Whether a stage config pretrains without boxes (PreDet on an
    ``ImageDataset``): it trains on the unlabeled images and is not
    evaluated."""
    return _innermost_dataset(
        cfg.train_dataloader).get('type') == 'ImageDataset'


def _set_data(loader: ConfigDict,
              ann: str,
              img: str,
              seg: Optional[str] = None) -> None:
    ds = _innermost_dataset(loader)
    ds['data_root'] = ''
    ds['ann_file'] = osp.abspath(ann)
    ds['data_prefix'] = dict(img=osp.abspath(img) + os.sep)
    if seg is not None:
        ds['data_prefix']['seg'] = osp.abspath(seg) + os.sep


def _evaluators(split: dict, class_specific: bool, model: dict) -> list:
    """Evaluators of a stage on ``split`` (``dict(ann, img[, panoptic])``).

    Class-agnostic AP always (boxes, and masks when the model predicts
    them); class-specific ``CocoMetric`` for class-specific stages, or
    ``CocoPanopticMetric`` (PQ) for panoptic targets.
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
            metric=metric)
    ]
    if class_specific:
        evals.insert(
            0,
            dict(
                type='CocoMetric',
                ann_file=osp.abspath(split['ann']),
                metric=metric))
    return evals


class CaspPipeline:
    """Run the stages of one pipeline config.

    Args:
        cfg: The ``casp`` dict of a pipeline config (see
            ``configs/casp/``): ``data`` (``labeled``, ``unlabeled``,
            ``val``: each ``dict(ann=..., img=...)``, plus
            ``panoptic=dict(ann=..., seg=...)`` on ``labeled`` and ``val``
            for a PanopticFPN target), ``labeler``, ``pseudo``, ``warmup``,
            ``finetune`` (and optional ``baseline``). ``labeler.type`` is
            ``'detector'`` (default: a class-agnostic detector trained on
            the labeled split), ``'cam'`` (DAP: class activation maps of
            an image classifier, boxes only; nothing is trained) or
            ``'none'`` (no pseudo labels: the warmup config pretrains on
            the unlabeled images by itself, e.g. PreDet). With
            ``pseudo.class_specific=True`` the labeler's classes are kept
            (the papers' "Objects(P,S)" ablation; labeler and warmup
            configs are then class-specific). ``method`` names the
            finetuned model in the report.
        work_dir: Root of all stage folders.
        extra_evals: More ``dict(name, ann, img)`` evaluation sets.
        name: Prefix of the Runners' experiment names.
        stage_dirs: Stage -> folder overrides (see :meth:`stage_dir`).
        launcher: ``'none'`` or the torch.distributed launcher the process
            group was started with (``'pytorch'``, ``'slurm'``); every
            stage then runs on all ranks.
        vis_backends: mmengine visualizer backends of every Runner
            (default the config's, i.e. local files); e.g.
            ``[dict(type='LocalVisBackend'),
            dict(type='TensorboardVisBackend')]``.
    """

    def __init__(self,
                 cfg: dict,
                 work_dir: str,
                 extra_evals: Sequence[dict] = (),
                 name: str = 'casp',
                 stage_dirs: Optional[Dict[str, str]] = None,
                 launcher: str = 'none',
                 vis_backends: Optional[List[dict]] = None) -> None:
        self.cfg = ConfigDict(copy.deepcopy(dict(cfg)))
        self.work_dir = osp.abspath(work_dir)
        self.extra_evals = list(extra_evals)
        self.name = name
        self.stage_dirs = {
            k: osp.abspath(v)
            for k, v in (stage_dirs or {}).items()
        }
        self.launcher = launcher
        self.vis_backends = vis_backends
        self._config_digests: Dict[str, str] = {}

    @property
    def labeler_type(self) -> str:
        return self.cfg.get('labeler', {}).get('type', 'detector')

    # ------------------------------------------------------------- checks
    def validate(self) -> None:
        """Stop with a message saying what to fix, before any training."""
        problems = []
        data = self.cfg.get('data', {})
        for split in ('labeled', 'unlabeled', 'val'):
            d = data.get(split)
            if d is None:
                problems.append(f'data.{split} is missing')
                continue
            for key in ('ann', 'img'):
                if not osp.exists(d.get(key, '')):
                    problems.append(
                        f'data.{split}.{key}: {d.get(key)} does not exist')
            if split != 'unlabeled' and osp.isfile(d.get('ann', '')):
                problems.extend(
                    _coco_file_problems(f'data.{split}.ann', d.ann))
        for ev in self.extra_evals:
            for key in ('ann', 'img'):
                if not osp.exists(ev[key]):
                    problems.append(
                        f"eval set {ev['name']}: {ev[key]} does not exist")
            if osp.isfile(ev['ann']):
                problems.extend(
                    _coco_file_problems(f"eval set {ev['name']}", ev['ann']))
        if self.labeler_type not in ('detector', 'cam', 'none'):
            problems.append(f'labeler.type: {self.labeler_type!r} is not '
                            "one of 'detector', 'cam', 'none'")
        stages = ['warmup', 'finetune']
        if self.labeler_type == 'detector':
            stages.insert(0, 'labeler')
        configs = {}
        for stage in stages:
            try:
                configs[stage] = load_config(
                    resolve_config(self.cfg[stage]['config']))
            except (PipelineError, KeyError, InputFileError) as e:
                problems.append(f'{stage}.config: {e}')
        if self.labeler_type == 'cam':
            lab = self.cfg.labeler
            for key in ('classifier_config', 'classifier_checkpoint'):
                if lab.get(key) and not osp.isfile(lab[key]):
                    problems.append(f'labeler.{key}: {lab[key]} does '
                                    'not exist')
            if 'warmup' in configs and loads_masks(configs['warmup']):
                problems.append(
                    'warmup.config: CAM pseudo labels are boxes only, but '
                    'this config trains on masks; take a box-only detector '
                    '(e.g. configs/fcos/fcos-ca_r18w16_fpn_toy-12e_toy-'
                    'objects.py, FCOS or RetinaNet)')
        if 'warmup' in configs and drops_rle_masks(
                _innermost_dataset(configs['warmup'].train_dataloader).get(
                    'pipeline', [])):
            problems.append(
                'warmup.config: its LoadAnnotations(with_mask=True, '
                'poly2mask=False) would ignore every pseudo label (their '
                'masks are RLE); set poly2mask=True')
        selfsup = 'warmup' in configs and is_self_supervised(configs['warmup'])
        if self.labeler_type == 'none' and 'warmup' in configs and \
                not selfsup:
            problems.append(
                "warmup.config: labeler.type='none' (no pseudo labels) needs "
                'a warmup that pretrains on images alone, e.g. configs/'
                'predet/predet_r18w16_fpn_toy-6e_toy.py')
        if self.labeler_type != 'none' and selfsup:
            problems.append(
                'warmup.config trains on images alone (PreDet): set '
                "labeler=dict(type='none')")
        if self.cfg.get('pseudo', {}).get('class_specific') and \
                self.labeler_type != 'detector':
            problems.append('pseudo.class_specific needs a detector labeler')
        if 'finetune' in configs and is_panoptic(configs['finetune'].model):
            for split in ('labeled', 'val'):
                pan = data.get(split, {}).get('panoptic') or {}
                for key in ('ann', 'seg'):
                    if not osp.exists(pan.get(key, '')):
                        problems.append(
                            f'data.{split}.panoptic.{key}: the PanopticFPN '
                            f'target needs COCO panoptic labels '
                            f'({pan.get(key)} does not exist)')
        if self.vis_backends and any('Tensorboard' in b.get('type', '')
                                     for b in self.vis_backends):
            try:
                import tensorboard  # noqa: F401
            except ImportError:
                problems.append(
                    'TensorBoard logging needs the tensorboard package: '
                    "pip install tensorboard (or mmcasp[tensorboard])")
        if not problems:
            try:
                collect_images(data.unlabeled.ann, data.unlabeled.img)
            except ValueError as e:
                problems.append(f'data.unlabeled: {e}')
        if problems:
            raise PipelineError('the pipeline cannot start:\n  - ' +
                                '\n  - '.join(problems))

    # ------------------------------------------------------------ helpers
    def stage_dir(self, stage: str) -> str:
        """``<work_dir>/<stage>``, or the folder given in ``stage_dirs``
        (a sweep points runs that share upstream settings at one folder)."""
        return self.stage_dirs.get(stage, osp.join(self.work_dir, stage))

    def done(self, stage: str) -> Optional[dict]:
        """``done.json`` of a stage if it is complete and its files exist."""
        path = osp.join(self.stage_dir(stage), 'done.json')
        if not osp.isfile(path):
            return None
        with open(path) as f:
            rec = json.load(f)
        for key in ('checkpoint', 'file'):
            if key in rec and not osp.isfile(rec[key]):
                return None  # never trust a record whose artifact is gone
        return rec

    def stage_settings(self, stage: str) -> dict:
        """What ``stage``'s result depends on: the pipeline settings
        (:func:`~mmcasp.pipeline.stage_settings`) and a digest of the
        resolved content of every config they name, so that an edited
        config file counts as a change too. JSON-normalised."""
        settings = json.loads(
            json.dumps(stage_settings(self.cfg.to_dict())[stage], default=str))
        configs = {}
        for sub in settings.values():
            path = sub.get('config') if isinstance(sub, dict) else None
            if path:
                if path not in self._config_digests:
                    text = json.dumps(
                        Config.fromfile(resolve_config(path)).to_dict(),
                        sort_keys=True,
                        default=str)
                    self._config_digests[path] = hashlib.sha1(
                        text.encode()).hexdigest()[:12]
                configs[path] = self._config_digests[path]
        return dict(settings, config_content=configs)

    def changed_settings(self, stage: str, rec: dict) -> List[str]:
        """Dotted keys whose value differs between the settings ``rec`` (a
        stage record) was made with and the present ones; empty for records
        written before settings were recorded."""
        if 'settings' not in rec:
            return []
        old = _flatten(rec['settings'])
        new = _flatten(self.stage_settings(stage))
        return sorted(
            k for k in set(old) | set(new) if old.get(k) != new.get(k))

    def _check_done_settings(self, stages: Sequence[str]) -> None:
        """Stop before any work if a done stage among ``stages`` was made
        with other settings than the present ones."""
        stale = []
        for stage in stages:
            rec = self.done(stage) if stage != 'evaluate' else None
            changed = self.changed_settings(stage, rec) if rec else []
            if changed:
                stale.append(f"{stage} ({self.stage_dir(stage)}): "
                             f"{', '.join(changed[:6])}")
        if stale:
            raise PipelineError(
                'done stages were made with other settings than these:\n  - ' +
                '\n  - '.join(stale) + '\ndelete those folders (and the '
                'stages after them) to redo them with these settings, or '
                'give another work dir')

    def _mark_done(self, stage: str, rec: dict) -> dict:
        if stage != 'evaluate':
            rec = dict(rec, settings=self.stage_settings(stage))
        if get_dist_info()[0] == 0:
            dump_json_atomic(rec, osp.join(self.stage_dir(stage), 'done.json'))
        barrier()  # no rank goes on before the record exists
        return rec

    def _runner_cfg(self, stage: str, stage_cfg: dict, train_ann: str,
                    train_img: str, class_specific: bool) -> Config:
        cfg = Config.fromfile(resolve_config(stage_cfg['config']))
        data = self.cfg.data
        selfsup = is_self_supervised(cfg)
        if selfsup:
            # pretraining on images alone: no boxes to evaluate
            _set_data(cfg.train_dataloader, train_ann, train_img)
            for key in ('val_dataloader', 'test_dataloader', 'val_cfg',
                        'test_cfg', 'val_evaluator', 'test_evaluator'):
                cfg[key] = None
            cfg.train_cfg.pop('val_interval', None)
        elif class_specific and is_panoptic(cfg.model):
            _set_data(cfg.train_dataloader, data.labeled.panoptic.ann,
                      train_img, data.labeled.panoptic.seg)
            for loader in ('val_dataloader', 'test_dataloader'):
                _set_data(cfg[loader], data.val.panoptic.ann, data.val.img,
                          data.val.panoptic.seg)
        else:
            _set_data(cfg.train_dataloader, train_ann, train_img)
            for loader in ('val_dataloader', 'test_dataloader'):
                _set_data(cfg[loader], data.val.ann, data.val.img)
        if not selfsup:
            cfg.val_evaluator = _evaluators(data.val, class_specific,
                                            cfg.model)
            cfg.test_evaluator = cfg.val_evaluator
        cfg.work_dir = self.stage_dir(stage)
        cfg.experiment_name = f'{self.name}_{stage}'
        cfg.visualizer.name = f'{self.name}_{stage}_visualizer'
        if self.vis_backends:
            cfg.visualizer.vis_backends = copy.deepcopy(self.vis_backends)
        epochs = stage_cfg.get('epochs')
        if epochs:
            cfg.train_cfg.max_epochs = epochs
            if not selfsup:
                cfg.train_cfg.val_interval = epochs
            for sched in cfg.param_scheduler:
                if sched.get('type') == 'MultiStepLR':
                    sched['end'] = epochs
                    sched['milestones'] = [
                        max(1, round(epochs * 0.75)),
                        max(1, round(epochs * 0.92))
                    ]
        cfg.default_hooks.checkpoint = dict(
            type='CheckpointHook', interval=1, max_keep_ckpts=2)
        cfg.resume = True  # resume from the last checkpoint in work_dir
        cfg.randomness = dict(seed=self.cfg.get('seed', 0))
        cfg.launcher = self.launcher
        # Under DDP a rank whose batch has no positive location (common on
        # sparse pseudo labels) leaves CondInst's controller and mask head
        # without gradients; without this, the other ranks wait forever in
        # the gradient all-reduce. A stage's cfg_options may turn it off.
        cfg.setdefault('find_unused_parameters', True)
        for key, value in stage_cfg.get('cfg_options', {}).items():
            cfg.merge_from_dict({key: value})
        cpu_model_wrapper_cfg(cfg)  # DDP without device ids on CPU
        return cfg

    def _train(self, stage: str, cfg: Config) -> dict:
        t0 = time.time()
        problems = rle_mask_problems(cfg)
        if problems:
            raise PipelineError(f'{stage}.config: ' + '\n'.join(problems))
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = {}
        if cfg.get('test_dataloader') is not None:
            metrics = runner.test()  # computed on rank 0, broadcast to all
        ckpt = osp.join(cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
        return self._mark_done(
            stage,
            dict(
                checkpoint=ckpt,
                config=osp.join(cfg.work_dir, osp.basename(cfg.filename)),
                metrics={
                    k: float(v)
                    for k, v in metrics.items()
                },
                wall_s=round(time.time() - t0, 1)))

    # ------------------------------------------------------------- stages
    def run_labeler(self) -> dict:
        if self.labeler_type == 'none':
            return self._mark_done('labeler', dict(kind='none', wall_s=0.0))
        if self.labeler_type == 'cam':
            lab = self.cfg.labeler
            return self._mark_done(
                'labeler',
                dict(
                    kind='cam',
                    classifier_config=lab.get('classifier_config'),
                    classifier_checkpoint=lab.get('classifier_checkpoint'),
                    wall_s=0.0))
        data = self.cfg.data
        cfg = self._runner_cfg('labeler', self.cfg.labeler, data.labeled.ann,
                               data.labeled.img, self._class_specific)
        return self._train('labeler', cfg)

    @property
    def _class_specific(self) -> bool:
        return bool(self.cfg.get('pseudo', {}).get('class_specific'))

    def labeled_categories(self, model) -> tuple:
        """``(categories, category_ids)`` of class-specific pseudo labels:
        the labeled split's categories, in the labeler's class order."""
        with open(self.cfg.data.labeled.ann) as f:
            cats = json.load(f)['categories']
        by_name = {c['name']: c for c in cats}
        classes = (getattr(model, 'dataset_meta', None)
                   or {}).get('classes') or model.cfg.get('metainfo',
                                                          {}).get('classes')
        missing = [c for c in classes or () if c not in by_name]
        if not classes or missing:
            raise PipelineError(
                'class-specific pseudo labels: the labeler\'s classes '
                f'{missing or classes} are not categories of '
                f'{self.cfg.data.labeled.ann}')
        ids = [by_name[c]['id'] for c in classes]
        return [
            dict(
                by_name[c], supercategory=by_name[c].get('supercategory', ''))
            for c in classes
        ], ids

    def _cam_predictor(self) -> CamPredictor:
        """DAP: the CAM labeler of ``labeler`` (class-agnostic boxes)."""
        lab = self.cfg.labeler
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
        classifier = build_cam_classifier(
            lab.get('classifier_config'),
            lab.get('classifier_checkpoint')).to(device)
        return CamPredictor(
            classifier,
            top_k=lab.get('top_k', 1),
            scales=lab.get('scales', (288, 576)),
            flip=lab.get('flip', True),
            thresholds=lab.get('thresholds', (0.2, 0.3, 0.4, 0.5)),
            nms_iou=lab.get('nms_iou', 0.8),
            class_agnostic=True,
            min_score=lab.get('min_score', 0.))

    def detector_predictor(self, labeler: dict) -> DetectorPredictor:
        """The pseudo labeler of a finished ``labeler`` stage record."""
        from mmcasp.apis import load_detector
        pcfg = self.cfg.get('pseudo', {})
        cfg = Config.fromfile(labeler['config'])
        model = load_detector(cfg, labeler['checkpoint'])
        return DetectorPredictor(
            model,
            cfg.test_dataloader.dataset.pipeline,
            delta=pcfg.get('delta', 0.2),
            max_per_image=pcfg.get('max_per_image', 100),
            min_size=pcfg.get('min_size', 0.),
            flip=pcfg.get('flip', False))

    def run_pseudo(self) -> dict:
        labeler = self.done('labeler')
        if labeler is None:
            raise PipelineError('pseudo labels need the labeler stage')
        if labeler.get('kind') == 'none':
            return self._mark_done('pseudo', dict(kind='none', wall_s=0.0))
        t0 = time.time()
        pcfg = self.cfg.get('pseudo', {})
        data = self.cfg.data
        entries, refused, root = collect_images(data.unlabeled.ann,
                                                data.unlabeled.img)
        if labeler.get('kind') == 'cam':
            predictor = self._cam_predictor()
            info = dict(
                labeler='cam',
                classifier=labeler.get('classifier_config')
                or 'EfficientNet-Lite0 ImageNet',
                checkpoint=labeler.get('classifier_checkpoint'))
            categories = [dict(id=1, name='object', supercategory='object')]
        else:
            predictor = self.detector_predictor(labeler)
            info = dict(
                labeler='detector',
                checkpoint=labeler['checkpoint'],
                model_config=labeler['config'],
                delta=pcfg.get('delta', 0.2),
                class_specific=self._class_specific)
            categories = None
            if self._class_specific:
                categories, predictor.category_ids = \
                    self.labeled_categories(predictor.model)
        out = osp.join(self.stage_dir('pseudo'), 'pseudo_labels.json')
        stats = run_pseudo_labeling(
            entries,
            predictor,
            out,
            prepare=predictor.prepare,
            batch_size=pcfg.get('batch_size', 8),
            num_workers=pcfg.get('num_workers', 2),
            categories=categories,
            info=dict(info, image_root=osp.abspath(root)))
        stats = _broadcast(stats)  # statistics exist on rank 0 only
        if stats['images_kept'] == 0:
            what = ('the CAM labeler kept no image' if labeler.get('kind')
                    == 'cam' else 'the labeler kept no image at delta='
                    f'{pcfg.get("delta", 0.2)}')
            raise PipelineError(
                f'{what} ({stats}); train it longer or lower pseudo.delta '
                f'(labeler.thresholds for CAM), then delete '
                f'{self.stage_dir("pseudo")} and run again')
        return self._mark_done(
            'pseudo',
            dict(
                file=out,
                stats=stats,
                refused=dict(refused),
                class_specific=self._class_specific,
                wall_s=round(time.time() - t0, 1)))

    def run_warmup(self) -> dict:
        pseudo = self.done('pseudo')
        if pseudo is None:
            raise PipelineError('warmup needs the pseudo stage')
        if pseudo.get('kind') == 'none':  # pretraining on the images alone
            data = self.cfg.data
            cfg = self._runner_cfg('warmup', self.cfg.warmup,
                                   data.unlabeled.ann, data.unlabeled.img,
                                   False)
            return self._train('warmup', cfg)
        with open(pseudo['file']) as f:
            root = json.load(f)['info']['image_root']
        cfg = self._runner_cfg('warmup', self.cfg.warmup, pseudo['file'], root,
                               self._class_specific)
        return self._train('warmup', cfg)

    def _finetune_cfg(self, stage: str, init_from: Optional[str]) -> Config:
        data = self.cfg.data
        stage_cfg = self.cfg.get(stage, self.cfg.finetune)
        cfg = self._runner_cfg(stage, stage_cfg, data.labeled.ann,
                               data.labeled.img, True)
        init = cfg.model.get('init_cfg') or {}
        if 'CaSPTransfer' in str(init.get('type', '')):
            # a transfer config's placeholder checkpoint: the pipeline
            # decides (warmup checkpoint, or none for the baseline)
            cfg.model.pop('init_cfg')
        if init_from is not None:
            ft = self.cfg.finetune
            cfg.model.init_cfg = dict(
                type='mmcasp.CaSPTransfer',
                checkpoint=init_from,
                parts=list(ft.get('parts', ['backbone', 'neck', 'head'])),
                classifier=ft.get('classifier', 'random'))
        return cfg

    def run_finetune(self) -> dict:
        warmup = self.done('warmup')
        if warmup is None:
            raise PipelineError('finetuning needs the warmup stage')
        return self._train(
            'finetune', self._finetune_cfg('finetune', warmup['checkpoint']))

    def run_baseline(self) -> dict:
        return self._train('baseline', self._finetune_cfg('baseline', None))

    def _scored_targets(self) -> Dict[str, str]:
        """The checkpoints the evaluate stage scores: ``{stage: path}``."""
        return {
            stage: rec['checkpoint']
            for stage in ('finetune', 'baseline')
            for rec in [self.done(stage)] if rec is not None
        }

    def unscored_evals(self, rec: Optional[dict] = None) -> List[dict]:
        """Extra evaluation sets the evaluate stage's record ``rec`` has no
        results for (new names, other files, or other checkpoints since)."""
        rec = self.done('evaluate') if rec is None else rec
        if rec is None:
            return list(self.extra_evals)
        if rec.get('checkpoints', {}) != self._scored_targets():
            return list(self.extra_evals)
        sets = rec.get('eval_sets', {})
        return [
            ev for ev in self.extra_evals
            if sets.get(ev['name']) != dict(ann=ev['ann'], img=ev['img'])
        ]

    def run_evaluate(self) -> dict:
        """Score the finetuned and baseline checkpoints on the extra
        evaluation sets and write the report. Sets an earlier run already
        scored (same files, same checkpoints) are not scored again."""
        from .report import write_report
        t0 = time.time()
        results = {s: self.done(s) for s in STAGES[:-1]}
        targets = self._scored_targets()
        todo = self.unscored_evals()
        prev = self.done('evaluate') or {}
        extra, eval_sets = {}, {}
        if prev.get('checkpoints', {}) == targets:
            extra = dict(prev.get('extra', {}))
            eval_sets = dict(prev.get('eval_sets', {}))
        for ev in todo:
            extra.pop(ev['name'], None)
            eval_sets[ev['name']] = dict(ann=ev['ann'], img=ev['img'])
            for stage in ('finetune', 'baseline'):
                rec = results.get(stage)
                if rec is None:
                    continue
                cfg = Config.fromfile(rec['config'])
                if is_panoptic(cfg.model):
                    print_log(
                        f"[casp] eval set {ev['name']}: instance annotations"
                        ' cannot score a panoptic target; skipped',
                        logger='current')
                    continue
                _set_data(cfg.test_dataloader, ev['ann'], ev['img'])
                cfg.test_evaluator = _evaluators(ev, True, cfg.model)
                cfg.load_from = rec['checkpoint']
                cfg.resume = False
                cfg.model.pop('init_cfg', None)
                cfg.launcher = self.launcher
                cfg.work_dir = osp.join(
                    self.stage_dir('evaluate'), f"{ev['name']}_{stage}")
                cfg.experiment_name = f"{self.name}_eval_{ev['name']}_{stage}"
                cfg.visualizer.name = cfg.experiment_name + '_vis'
                metrics = Runner.from_cfg(cfg).test()
                extra.setdefault(ev['name'], {})[stage] = {
                    k: float(v)
                    for k, v in metrics.items()
                }
        paths = _broadcast(
            write_report(results, extra, osp.join(self.work_dir, 'report'),
                         self.cfg.get('method')) if get_dist_info()[0] ==
            0 else None)
        return self._mark_done(
            'evaluate',
            dict(
                extra=extra,
                eval_sets=eval_sets,
                checkpoints=targets,
                report=paths,
                wall_s=round(time.time() - t0, 1)))

    def run(self, stages: Optional[List[str]] = None) -> Dict[str, dict]:
        """Run ``stages`` (default all) in order; done ones are skipped
        (delete a stage's folder to redo it), except that ``evaluate`` runs
        again for extra evaluation sets it has not scored yet: saved
        checkpoints can be scored on new sets without retraining. A done
        stage made with other settings (or other config file content) than
        the present ones stops the run with a :class:`PipelineError` naming
        what differs, instead of being reused."""
        register_all_modules(init_default_scope=False)
        self.validate()
        stages = list(stages or STAGES)
        unknown = [s for s in stages if s not in STAGES]
        if unknown:
            raise PipelineError(f'unknown stages {unknown}; {STAGES}')
        self._check_done_settings(stages)
        out = {}
        for stage in stages:
            rec = self.done(stage)
            if stage == 'evaluate' and rec is not None:
                new = [ev['name'] for ev in self.unscored_evals(rec)]
                if new:
                    # scoring saved checkpoints on sets they never saw
                    print_log(
                        f'[casp] evaluate: scoring the saved checkpoints on '
                        f'{new}',
                        logger='current')
                    rec = None
            if rec is not None:
                print_log(f'[casp] {stage}: done, skipped', logger='current')
                out[stage] = rec
                continue
            print_log(f'[casp] {stage}: running', logger='current')
            out[stage] = getattr(self, f'run_{stage}')()
        return out


def _coco_file_problems(name: str, path: str) -> List[str]:
    """A COCO annotation file's problems, as lines of a validation error."""
    try:
        problems = coco_problems(load_json(path, 'COCO file'))
    except InputFileError as e:
        return [f'{name}: {e}']
    return [format_problems(f'{name}: {path}', problems)] if problems else []


def _flatten(obj, prefix: str = '') -> dict:
    """``{'a': {'b': 1}}`` -> ``{'a.b': 1}`` (lists stay values)."""
    if not isinstance(obj, dict):
        return {prefix: obj}
    out = {}
    for k, v in obj.items():
        out.update(_flatten(v, f'{prefix}.{k}' if prefix else str(k)))
    return out


def _broadcast(obj):
    """``obj`` of rank 0 on every rank (itself when not distributed)."""
    if get_dist_info()[1] == 1:
        return obj
    box = [obj]
    broadcast_object_list(box, src=0)
    return box[0]

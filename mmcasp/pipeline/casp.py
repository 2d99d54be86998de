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
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmcasp.pseudo_labels import (DetectorPredictor, collect_images,
                                  dump_json_atomic, run_pseudo_labeling)
from mmcasp.utils import package_root, register_all_modules

__all__ = [
    'STAGES', 'PipelineError', 'CaspPipeline', 'resolve_config', 'prepare_casp'
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
        if not fresh:
            from mmcasp.datasets import make_toy_dataset
            print_log(
                f'[casp] generating the toy dataset under {root}',
                logger='current')
            make_toy_dataset(root, **toy)
            dump_json_atomic(toy, marker)
    casp = cfg.casp.to_dict()
    for split in casp['data'].values():
        for key in ('ann', 'img'):
            if not osp.isabs(split[key]):
                split[key] = osp.abspath(osp.join(root, split[key]))
    return casp


def _set_data(loader: ConfigDict, ann: str, img: str) -> None:
    ds = loader['dataset']
    while 'dataset' in ds:
        ds = ds['dataset']
    ds['data_root'] = ''
    ds['ann_file'] = osp.abspath(ann)
    ds['data_prefix'] = dict(img=osp.abspath(img) + os.sep)


def _evaluators(ann: str, class_specific: bool) -> list:
    evals = [
        dict(
            type='ClassAgnosticCocoMetric',
            ann_file=osp.abspath(ann),
            metric=['bbox', 'segm'])
    ]
    if class_specific:
        evals.insert(
            0,
            dict(
                type='CocoMetric',
                ann_file=osp.abspath(ann),
                metric=['bbox', 'segm']))
    return evals


class CaspPipeline:
    """Run the stages of one pipeline config.

    Args:
        cfg: The ``casp`` dict of a pipeline config (see
            ``configs/casp/``): ``data`` (``labeled``, ``unlabeled``,
            ``val``: each ``dict(ann=..., img=...)``), ``labeler``,
            ``pseudo``, ``warmup``, ``finetune`` (and optional ``baseline``).
        work_dir: Root of all stage folders.
        extra_evals: More ``dict(name, ann, img)`` evaluation sets.
        name: Prefix of the Runners' experiment names.
        stage_dirs: Stage -> folder overrides (see :meth:`stage_dir`).
    """

    def __init__(self,
                 cfg: dict,
                 work_dir: str,
                 extra_evals: Sequence[dict] = (),
                 name: str = 'casp',
                 stage_dirs: Optional[Dict[str, str]] = None) -> None:
        self.cfg = ConfigDict(copy.deepcopy(dict(cfg)))
        self.work_dir = osp.abspath(work_dir)
        self.extra_evals = list(extra_evals)
        self.name = name
        self.stage_dirs = {
            k: osp.abspath(v)
            for k, v in (stage_dirs or {}).items()
        }

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
        for ev in self.extra_evals:
            for key in ('ann', 'img'):
                if not osp.exists(ev[key]):
                    problems.append(
                        f"eval set {ev['name']}: {ev[key]} does not exist")
        for stage in ('labeler', 'warmup', 'finetune'):
            try:
                resolve_config(self.cfg[stage]['config'])
            except (PipelineError, KeyError) as e:
                problems.append(f'{stage}.config: {e}')
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

    def _mark_done(self, stage: str, rec: dict) -> dict:
        dump_json_atomic(rec, osp.join(self.stage_dir(stage), 'done.json'))
        return rec

    def _runner_cfg(self, stage: str, stage_cfg: dict, train_ann: str,
                    train_img: str, class_specific: bool) -> Config:
        cfg = Config.fromfile(resolve_config(stage_cfg['config']))
        data = self.cfg.data
        _set_data(cfg.train_dataloader, train_ann, train_img)
        for loader in ('val_dataloader', 'test_dataloader'):
            _set_data(cfg[loader], data.val.ann, data.val.img)
        cfg.val_evaluator = _evaluators(data.val.ann, class_specific)
        cfg.test_evaluator = cfg.val_evaluator
        cfg.work_dir = self.stage_dir(stage)
        cfg.experiment_name = f'{self.name}_{stage}'
        cfg.visualizer.name = f'{self.name}_{stage}_visualizer'
        epochs = stage_cfg.get('epochs')
        if epochs:
            cfg.train_cfg.max_epochs = epochs
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
        for key, value in stage_cfg.get('cfg_options', {}).items():
            cfg.merge_from_dict({key: value})
        return cfg

    def _train(self, stage: str, cfg: Config) -> dict:
        t0 = time.time()
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = runner.test()
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
        data = self.cfg.data
        cfg = self._runner_cfg('labeler', self.cfg.labeler, data.labeled.ann,
                               data.labeled.img, False)
        return self._train('labeler', cfg)

    def run_pseudo(self) -> dict:
        from mmcasp.apis import load_detector
        labeler = self.done('labeler')
        if labeler is None:
            raise PipelineError('pseudo labels need the labeler stage')
        t0 = time.time()
        pcfg = self.cfg.get('pseudo', {})
        data = self.cfg.data
        entries, refused, root = collect_images(data.unlabeled.ann,
                                                data.unlabeled.img)
        cfg = Config.fromfile(labeler['config'])
        model = load_detector(cfg, labeler['checkpoint'])
        predictor = DetectorPredictor(
            model,
            cfg.test_dataloader.dataset.pipeline,
            delta=pcfg.get('delta', 0.2),
            max_per_image=pcfg.get('max_per_image', 100),
            min_size=pcfg.get('min_size', 0.),
            flip=pcfg.get('flip', False))
        out = osp.join(self.stage_dir('pseudo'), 'pseudo_labels.json')
        stats = run_pseudo_labeling(
            entries,
            predictor,
            out,
            prepare=predictor.prepare,
            batch_size=pcfg.get('batch_size', 8),
            num_workers=pcfg.get('num_workers', 2),
            info=dict(
                checkpoint=labeler['checkpoint'],
                model_config=labeler['config'],
                delta=pcfg.get('delta', 0.2),
                image_root=osp.abspath(root)))
        if stats['images_kept'] == 0:
            raise PipelineError(
                f'the labeler kept no image at delta={pcfg.get("delta", 0.2)}'
                f' ({stats}); train it longer or lower pseudo.delta, then '
                f'delete {self.stage_dir("pseudo")} and run again')
        return self._mark_done(
            'pseudo',
            dict(
                file=out,
                stats=stats,
                refused=dict(refused),
                wall_s=round(time.time() - t0, 1)))

    def run_warmup(self) -> dict:
        pseudo = self.done('pseudo')
        if pseudo is None:
            raise PipelineError('warmup needs the pseudo stage')
        with open(pseudo['file']) as f:
            root = json.load(f)['info']['image_root']
        cfg = self._runner_cfg('warmup', self.cfg.warmup, pseudo['file'], root,
                               False)
        return self._train('warmup', cfg)

    def _finetune_cfg(self, stage: str, init_from: Optional[str]) -> Config:
        data = self.cfg.data
        stage_cfg = self.cfg.get(stage, self.cfg.finetune)
        cfg = self._runner_cfg(stage, stage_cfg, data.labeled.ann,
                               data.labeled.img, True)
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

    def run_evaluate(self) -> dict:
        from .report import write_report
        t0 = time.time()
        results = {s: self.done(s) for s in STAGES[:-1]}
        extra = {}
        for ev in self.extra_evals:
            for stage in ('finetune', 'baseline'):
                rec = results.get(stage)
                if rec is None:
                    continue
                cfg = Config.fromfile(rec['config'])
                _set_data(cfg.test_dataloader, ev['ann'], ev['img'])
                cfg.test_evaluator = _evaluators(ev['ann'], True)
                cfg.load_from = rec['checkpoint']
                cfg.resume = False
                cfg.model.pop('init_cfg', None)
                cfg.work_dir = osp.join(
                    self.stage_dir('evaluate'), f"{ev['name']}_{stage}")
                cfg.experiment_name = f"{self.name}_eval_{ev['name']}_{stage}"
                cfg.visualizer.name = cfg.experiment_name + '_vis'
                metrics = Runner.from_cfg(cfg).test()
                extra.setdefault(ev['name'], {})[stage] = {
                    k: float(v)
                    for k, v in metrics.items()
                }
        paths = write_report(results, extra, osp.join(self.work_dir, 'report'))
        return self._mark_done(
            'evaluate',
            dict(extra=extra, report=paths, wall_s=round(time.time() - t0, 1)))

    def run(self, stages: Optional[List[str]] = None) -> Dict[str, dict]:
        """Run ``stages`` (default all) in order; done ones are skipped
        (delete a stage's folder to redo it)."""
        register_all_modules(init_default_scope=False)
        self.validate()
        out = {}
        for stage in stages or STAGES:
            if stage not in STAGES:
                raise PipelineError(f'unknown stage {stage}; {STAGES}')
            rec = self.done(stage)
            if rec is not None:
                print_log(f'[casp] {stage}: done, skipped', logger='current')
                out[stage] = rec
                continue
            print_log(f'[casp] {stage}: running', logger='current')
            out[stage] = getattr(self, f'run_{stage}')()
        return out

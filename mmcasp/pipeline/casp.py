# Copyright (c) mmcasp contributors. All rights reserved.
"""The CaSP pipeline: labeler -> pseudo labels -> warmup (-> more
self-training rounds) -> finetune (and a baseline finetuned from the plain
init) -> evaluation and report.

The pipeline only orchestrates. What it is made of lives beside it:
:mod:`.settings` (the ``casp`` dict's schema and defaults),
:mod:`.stage_configs` (a stage's Runner config, as pure functions),
:mod:`.records` (stage folders and ``done.json``), and the labelers
registered in :data:`mmcasp.registry.LABELERS` (:mod:`.labelers`).

Each training stage is a real mmengine Runner with its own work dir
(``<work_dir>/<stage>/``: config dump, logs, checkpoints). A stage is done
when its ``done.json`` exists; re-running skips done stages and resumes a
half-finished training stage from its last checkpoint. Inputs are checked
before any training starts.
"""
import json
import logging
import os
import os.path as osp
import time
from dataclasses import asdict
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.dist import barrier, broadcast_object_list, get_dist_info
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmcasp.datasets import (DatasetCheckError, check_datasets,
                             image_level_labels)
from mmcasp.datasets.mask_loading import drops_rle_masks, rle_mask_problems
from mmcasp.engine.hooks import LastValMetricsHook
from mmcasp.pseudo_labels import collect_images, dump_json_atomic
from mmcasp.registry import LABELERS
from mmcasp.utils import (InputFileError, ScheduleError, check_coco_file,
                          coco_problems, format_problems, link_or_copy,
                          load_config, load_json, register_all_modules)
from . import labelers as _labelers  # noqa: F401  (registers the labelers)
from .errors import PipelineError
from .labeler_health import empty_labeler_warning
from .labelers import BaseLabeler, CheckpointLabeler, DetectorLabeler
from .records import (STAGES, StageRecords, config_digest, round_stage,
                      stage_round)
from .settings import (DEFAULT_LABELER, SettingsError, StageSettings, closest,
                       parse)
from .stage_configs import (build_stage_config, eval_config, innermost_dataset,
                            is_panoptic, is_self_supervised, loads_masks,
                            resolve_config, trains_on_image_labels,
                            validates_on_test_split, with_epochs,
                            with_resume_point)
from .sweep import labeler_is_baseline, stage_settings

__all__ = [
    'STAGES', 'PipelineError', 'CaspPipeline', 'resolve_config',
    'prepare_casp', 'build_labeler'
]


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
    for split in casp.get('data', {}).values():
        for d in (split, split.get('panoptic') or {}):
            for key in ('ann', 'img', 'seg', 'entities', 'image_labels'):
                if d.get(key) and not osp.isabs(d[key]):
                    d[key] = osp.abspath(osp.join(root, d[key]))
    return casp


def build_labeler(labeler: dict) -> BaseLabeler:
    """The registered labeler a ``casp.labeler`` dict names (``type``,
    default ``'detector'``), built with the dict's other keys.

    Raises:
        SettingsError: the type is not registered, or a setting is unknown
            to it or missing.
    """
    settings = dict(labeler)
    kind = settings.pop('type', DEFAULT_LABELER)
    cls = LABELERS.get(kind)
    if cls is None:
        raise SettingsError(
            f'labeler.type: {kind!r} is not a registered labeler'
            f'{closest(kind, LABELERS.module_dict)}; a labeler of your '
            'own needs @LABELERS.register_module() and the module in the '
            "config's custom_imports")
    problems = cls.settings_problems(settings)
    problems += [
        f'labeler.{k}: missing (the {kind!r} labeler needs it)'
        for k, p in cls.known_settings_params().items()
        if p.default is p.empty and k not in settings
    ]
    if problems:
        raise SettingsError('the labeler settings are not valid:\n  - ' +
                            '\n  - '.join(problems))
    return cls(**settings)


def _from_rank0(obj):
    """``obj`` of rank 0 on every rank (mmengine's broadcast does nothing
    when not distributed)."""
    box = [obj]
    broadcast_object_list(box, src=0)
    return box[0]


class CaspPipeline:
    """Run the stages of one pipeline config.

    Args:
        cfg: The ``casp`` dict of a pipeline config (see ``configs/casp/``
            and :class:`~mmcasp.pipeline.settings.CaspSettings`): ``data``
            (``labeled``, ``unlabeled``, ``val``: each ``dict(ann=...,
            img=...)``, plus ``panoptic=dict(ann=..., seg=...)`` on
            ``labeled`` and ``val`` for a PanopticFPN target), ``labeler``
            (a registered labeler: ``'detector'`` (default), ``'checkpoint'``,
            ``'cam'``, ``'none'`` or your own), ``pseudo``, ``warmup``,
            ``finetune`` (and optional ``baseline``), ``seed``, ``method``,
            ``rounds``.
        work_dir: Root of all stage folders.
        extra_evals: More ``dict(name, ann, img)`` evaluation sets.
        name: Prefix of the Runners' experiment names.
        stage_dirs: Stage -> folder overrides (a sweep points runs that
            share upstream settings at one folder).
        launcher: ``'none'`` or the torch.distributed launcher the process
            group was started with (``'pytorch'``, ``'slurm'``); every
            stage then runs on all ranks.
        vis_backends: mmengine visualizer backends of every Runner
            (default the config's, i.e. local files).

    Raises:
        SettingsError: unknown, missing or mistyped settings.
    """

    def __init__(self,
                 cfg: dict,
                 work_dir: str,
                 extra_evals: Sequence[dict] = (),
                 name: str = 'casp',
                 stage_dirs: Optional[Dict[str, str]] = None,
                 launcher: str = 'none',
                 vis_backends: Optional[List[dict]] = None) -> None:
        self.raw = json.loads(json.dumps(dict(cfg), default=list))
        self.settings = parse(self.raw)
        self.labeler = build_labeler(self.settings.labeler)
        self.work_dir = osp.abspath(work_dir)
        self.extra_evals = list(extra_evals)
        self.name = name
        self.launcher = launcher
        self.vis_backends = vis_backends
        self._digests: Dict[str, str] = {}
        self._configs: Dict[str, Config] = {}
        self._image_labels: Dict[str, tuple] = {}
        self.records = StageRecords(self.work_dir, stage_dirs,
                                    self.stage_settings)

    @property
    def labeler_type(self) -> str:
        """The registered name of the labeler."""
        return self.settings.labeler.get('type', DEFAULT_LABELER)

    # ---------------------------------------------------------- settings
    def stage_settings(self, stage: str) -> dict:
        """What ``stage``'s result depends on: the pipeline settings
        (:func:`~mmcasp.pipeline.stage_settings`) and a digest of the
        resolved content of every config they name, so that an edited
        config file counts as a change too. JSON-normalised."""
        settings = json.loads(
            json.dumps(stage_settings(self.raw)[stage], default=str))
        configs = {}
        for sub in settings.values():
            if not isinstance(sub, dict):
                continue
            # 'config', and a labeler's other configs ('classifier_config')
            for key, path in sub.items():
                if not (key == 'config' or key.endswith('_config')) or \
                        not isinstance(path, str):
                    continue
                if path not in self._digests:
                    self._digests[path] = config_digest(resolve_config(path))
                configs[path] = self._digests[path]
        return dict(settings, config_content=configs)

    def split(self, name: str) -> dict:
        """A data split as a dict (``ann``, ``img``[, ``panoptic``,
        ``entities``])."""
        split = asdict(getattr(self.settings.data, name))
        return {k: v for k, v in split.items() if v is not None}

    @property
    def on_entities(self) -> bool:
        """Whether labeler and warmup learn entities (things + stuff)."""
        return self.settings.pretrain_on == 'entities'

    def pretrain_split(self, name: str) -> dict:
        """What the labeler and the warmup learn from / are scored on: a
        split's instances, or its entity file (``pretrain_on``)."""
        split = self.split(name)
        if self.on_entities:
            return dict(ann=split['entities'], img=split['img'])
        return split

    def agnostic_category(self) -> dict:
        """The one category of class-agnostic pseudo labels."""
        name = 'entity' if self.on_entities else 'object'
        return dict(id=1, name=name, supercategory=name)

    def load_stage_config(self, path: str) -> Config:
        """A stage's config, read once per run (the stage-config
        functions copy it before they change anything)."""
        if path not in self._configs:
            self._configs[path] = load_config(resolve_config(path))
        return self._configs[path]

    def config_problems(self, key: str, path: str) -> List[str]:
        """``[]`` if the config ``path`` loads, else why not, under
        ``key``."""
        try:
            self.load_stage_config(path)
        except (PipelineError, InputFileError) as e:
            return [f'{key}: {e}']
        return []

    # ------------------------------------------------------------- checks
    def validate(self) -> None:
        """Stop with a message saying what to fix, before any training."""
        problems = []
        for split in ('labeled', 'unlabeled', 'val'):
            d = self.split(split)
            for key in ('ann', 'img'):
                if not osp.exists(d[key]):
                    problems.append(
                        f'data.{split}.{key}: {d[key]} does not exist')
            if split != 'unlabeled' and osp.isfile(d['ann']):
                problems.extend(
                    _coco_file_problems(f'data.{split}.ann', d['ann']))
        problems += self._image_label_problems()
        problems += _parts_problems(self.settings.finetune.parts)
        for ev in self.extra_evals:
            for key in ('ann', 'img'):
                if not osp.exists(ev[key]):
                    problems.append(
                        f"eval set {ev['name']}: {ev[key]} does not exist")
            if osp.isfile(ev['ann']):
                problems.extend(
                    _coco_file_problems(f"eval set {ev['name']}", ev['ann']))
        problems += self.labeler.validate(self)
        problems += self._entity_problems()
        configs = {}
        for stage in ('warmup', 'finetune', 'baseline'):
            path = getattr(self.settings, stage).config
            found = self.config_problems(f'{stage}.config', path)
            if found:
                problems += found if stage != 'baseline' or \
                    path != self.settings.finetune.config else []
            else:
                configs[stage] = self.load_stage_config(path)
        if not self.labeler.validate(self):  # its config loads
            problems += self._warmup_problems(configs.get('warmup'))
        problems += self._schedule_problems()
        if self.settings.pseudo.flip and self.settings.pseudo.class_specific:
            problems.append('pseudo.flip: flip TTA merges predictions '
                            'class-agnostically; it cannot be used with '
                            'pseudo.class_specific')
        if self.settings.pseudo.class_specific and \
                not self.labeler.class_specific_ok:
            problems.append(f'pseudo.class_specific: the {self.labeler_type!r}'
                            ' labeler makes class-agnostic labels only')
        if 'finetune' in configs and is_panoptic(configs['finetune'].model):
            for split in ('labeled', 'val'):
                pan = self.split(split).get('panoptic') or {}
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
                entries = collect_images(self.settings.data.unlabeled.ann,
                                         self.settings.data.unlabeled.img)[0]
            except ValueError as e:
                problems.append(f'data.unlabeled: {e}')
            else:
                problems += self._image_label_matches(entries)
        if problems:
            raise PipelineError('the pipeline cannot start:\n  - ' +
                                '\n  - '.join(problems))

    def _image_label_problems(self) -> List[str]:
        """``image_labels``: the unlabeled split's, a COCO file with
        categories."""
        problems = [
            f'data.{split}.image_labels: only the unlabeled split\'s image '
            'labels are used; remove it here' for split in ('labeled', 'val')
            if self.split(split).get('image_labels')
        ]
        path = self.split('unlabeled').get('image_labels')
        if not path:
            return problems
        if not osp.isfile(path):
            return problems + [
                f'data.unlabeled.image_labels: {path} does not exist'
            ]
        try:
            self.image_labels()
        except InputFileError as e:
            problems.append(f'data.unlabeled.image_labels: {e}')
        return problems

    def image_labels(self) -> Tuple[Optional[list], Optional[dict]]:
        """``(categories sorted by id, {file name: class indices})`` of
        ``data.unlabeled.image_labels`` (:func:`~mmcasp.datasets.
        image_level_labels`; annotations need no box), read once per run;
        ``(None, None)`` without one.

        Raises:
            InputFileError: the file is not a valid image-label file.
        """
        path = self.split('unlabeled').get('image_labels')
        if not path:
            return None, None
        if path not in self._image_labels:
            self._image_labels[path] = image_level_labels(
                check_coco_file(
                    path, annotations=False, what='image-label file'))
        return self._image_labels[path]

    def _image_label_matches(self, entries: Sequence[dict]) -> List[str]:
        """The unlabeled images the image-label file names (by file name):
        none is a mistake (e.g. other folder prefixes), logged otherwise."""
        _, labels = self.image_labels()
        if labels is None:
            return []
        found = sum(e['file_name'] in labels for e in entries)
        if not found:
            return [
                f'data.unlabeled.image_labels: none of its {len(labels)} '
                f'file names is one of the {len(entries)} unlabeled images '
                f'(e.g. {next(iter(labels), None)!r} vs '
                f"{entries[0]['file_name'] if entries else None!r}); file "
                'names are matched as the image source lists them, '
                'relative to data.unlabeled.img'
            ]
        print_log(
            f'[casp] data.unlabeled.image_labels: {found} of '
            f'{len(entries)} unlabeled images have image-level labels',
            logger='current')
        return []

    def _schedule_problems(self) -> List[str]:
        """Stages whose ``epochs`` their schedulers cannot be rescaled
        to (found now, not after earlier stages trained for hours)."""
        stages = [('warmup', self.settings.warmup),
                  ('finetune', self.settings.finetune),
                  ('baseline', self.settings.baseline)]
        if type(self.labeler) is DetectorLabeler:
            stages.insert(0, ('labeler', self.labeler.stage))
        problems = []
        for name, stage in stages:
            if not stage.epochs or self.config_problems(name, stage.config):
                continue
            try:
                with_epochs(self.load_stage_config(stage.config), stage.epochs)
            except ScheduleError as e:
                problems.append(f'{name}.epochs: {e}')
        return problems

    def _entity_problems(self) -> List[str]:
        """What ``pretrain_on='entities'`` needs."""
        if not self.on_entities:
            return []
        problems = []
        for split in ('labeled', 'val'):
            path = self.split(split).get('entities')
            if not path or not osp.isfile(path):
                problems.append(
                    f"data.{split}.entities: pretrain_on='entities' needs "
                    f'the split\'s entity labels ({path} does not exist); '
                    'make them from COCO panoptic labels with tools/'
                    'dataset_converters/panoptic2entities.py')
            else:
                problems.extend(
                    _coco_file_problems(f'data.{split}.entities', path))
        if not self.labeler.entities_ok:
            problems.append(
                f"pretrain_on='entities': the {self.labeler_type!r} labeler "
                'does not learn from entity labels')
        if self.settings.pseudo.class_specific:
            problems.append("pretrain_on='entities' is class-agnostic: "
                            'pseudo.class_specific must be False')
        return problems

    def _warmup_problems(self, warmup: Optional[Config]) -> List[str]:
        """What a warmup config cannot train on, given the labeler."""
        if warmup is None:
            return []
        problems = []
        selfsup = is_self_supervised(warmup)
        if not self.labeler.makes_masks and not selfsup and \
                loads_masks(warmup):
            problems.append(
                f'warmup.config: the {self.labeler_type!r} labeler makes '
                'boxes only, but this config trains on masks; take a '
                'box-only detector (e.g. configs/fcos/fcos-ca_r18w16_fpn_'
                'toy-12e_toy-objects.py, FCOS or RetinaNet)')
        if drops_rle_masks(
                innermost_dataset(warmup.train_dataloader).get('pipeline',
                                                               [])):
            problems.append(
                'warmup.config: its LoadAnnotations(with_mask=True, '
                'poly2mask=False) would ignore every pseudo label (their '
                'masks are RLE); set poly2mask=True')
        if not self.labeler.makes_labels and not selfsup:
            problems.append(
                f'warmup.config: labeler.type={self.labeler_type!r} makes no '
                'pseudo labels, so the warmup must pretrain on images alone, '
                'e.g. configs/predet/predet_r18w16_fpn_toy-6e_toy.py')
        if self.labeler.makes_labels and selfsup:
            problems.append(
                'warmup.config trains on images alone (PreDet): set '
                "labeler=dict(type='none')")
        if selfsup and trains_on_image_labels(warmup) and \
                not self.split('unlabeled').get('image_labels'):
            problems.append(
                'warmup.config learns from image-level labels '
                '(with_labels=True): set data.unlabeled.image_labels, or '
                'with_labels=False to pretrain on the images alone')
        if self.settings.rounds > 1 and (selfsup
                                         or not self.labeler.makes_labels):
            problems.append(
                f'rounds={self.settings.rounds}: self-training re-labels '
                'with the warmed-up detector, which a warmup on images '
                'alone does not give; set rounds=1')
        return problems

    # ------------------------------------------------------------ stages
    def stage_config(self,
                     stage: str,
                     stage_settings: StageSettings,
                     train: dict,
                     class_specific: bool,
                     pretrain: bool = False) -> Config:
        """The Runner config of a training stage (see
        :func:`~mmcasp.pipeline.stage_configs.build_stage_config`);
        ``pretrain``: a labeler or warmup stage, validated on what
        ``pretrain_on`` names (entities: AP^e). The labeler's
        :meth:`~BaseLabeler.stage_overrides` are set before the stage's own
        ``cfg_options`` are merged."""
        values = {}
        if stage != 'labeler':
            values = self.labeler.stage_overrides(self,
                                                  self.records.get('labeler'),
                                                  stage)
        entities = pretrain and self.on_entities
        return build_stage_config(
            self.load_stage_config(stage_settings.config),
            train=train,
            val=self.pretrain_split('val') if pretrain else self.split('val'),
            entities=entities,
            class_specific=class_specific,
            epochs=stage_settings.epochs,
            work_dir=self.records.dir(stage),
            name=f'{self.name}_{stage}',
            seed=self.settings.seed,
            launcher=self.launcher,
            vis_backends=self.vis_backends,
            cfg_options=stage_settings.cfg_options,
            values=values)

    def train(self, stage: str, cfg: Config) -> dict:
        """Train (or resume) ``cfg``, test it if it has a test loop, and
        return the stage's record (not yet written). When the training's
        last validation ran after the final epoch on the test loop's data
        and evaluators, its metrics are the test's: the split is not scored
        twice."""
        t0 = time.time()
        problems = rle_mask_problems(cfg)
        if problems:
            raise PipelineError(f'{stage}.config: ' + '\n'.join(problems))
        try:  # e.g. pseudo labels that all fall to filter_cfg
            check_datasets(
                cfg,
                loaders=('train_dataloader', 'val_dataloader'),
                evaluators=('val_evaluator', ),
                train_loaders=('train_dataloader', ))
        except DatasetCheckError as e:
            raise PipelineError(f'{stage}: {e}') from None
        runner = Runner.from_cfg(with_resume_point(cfg))
        last_val = LastValMetricsHook()
        runner.register_hook(last_val)
        runner.train()
        metrics = {}
        if (last_val.epoch is not None
                and last_val.epoch == cfg.train_cfg.get('max_epochs')
                and validates_on_test_split(cfg)):
            metrics = last_val.metrics  # the evaluator broadcast them
        elif cfg.get('test_dataloader') is not None:
            metrics = runner.test()  # computed on rank 0, broadcast to all
        return dict(
            checkpoint=osp.join(cfg.work_dir,
                                f'epoch_{cfg.train_cfg.max_epochs}.pth'),
            config=osp.join(cfg.work_dir, osp.basename(cfg.filename)),
            metrics={
                k: float(v)
                for k, v in metrics.items()
            },
            wall_s=round(time.time() - t0, 1))

    @property
    def labeler_is_baseline(self) -> bool:
        """Whether the labeler stage would train the baseline's very model
        (:func:`~mmcasp.pipeline.labeler_is_baseline`)."""
        return labeler_is_baseline(self.raw)

    def baseline_as_labeler(self) -> dict:
        """The labeler stage's record when the labeler is the baseline's
        model (:attr:`labeler_is_baseline`): the baseline (trained now if
        it is not done) with its metrics, so that one model is not trained
        twice. Its checkpoint and config are hard-linked (else copied) into
        the labeler's folder, so that the labeler stays what its record
        says when the baseline is deleted or retrained with other
        settings. Its training time counts in the baseline's record."""
        self.records.check_current(['baseline'])
        base = self.records.get('baseline')
        print_log(
            "[casp] labeler: the baseline's model (the same settings); " +
            ('taking the done baseline' if base else 'training it once'),
            logger='current')
        base = base or self.run_baseline()
        folder = self.records.dir('labeler')
        files = {
            key: osp.join(folder, osp.basename(base[key]))
            for key in ('checkpoint', 'config')
        }
        if get_dist_info()[0] == 0:
            os.makedirs(folder, exist_ok=True)
            for key, dst in files.items():
                link_or_copy(base[key], dst)
        barrier()
        return dict(
            files,
            metrics=base['metrics'],
            wall_s=0.0,
            same_as='baseline',
            baseline_checkpoint=base['checkpoint'])

    def run_labeler(self) -> dict:
        return self.records.write(
            'labeler', self.labeler.record(self, self.labeler.run(self)))

    def round_labeler(self, round_: int) -> Tuple[BaseLabeler, dict]:
        """The labeler of a self-training round and its record: the
        configured one for round 1, the previous round's warmed-up model
        after."""
        if round_ == 1:
            rec = self.records.get('labeler')
            if rec is None:
                raise PipelineError('pseudo labels need the labeler stage')
            return self.labeler, rec
        prev = self.records.get(round_stage('warmup', round_ - 1))
        if prev is None:
            raise PipelineError(f'round {round_} needs the warmup of round '
                                f'{round_ - 1}')
        labeler = CheckpointLabeler(prev['config'], prev['checkpoint'])
        # the warmed-up model's val metrics: what the labeler checks read
        return labeler, dict(
            labeler.run(self), metrics=prev.get('metrics') or {})

    def label(self,
              split: str,
              out: str,
              round_: int = 1,
              drop_empty: bool = True,
              show_progress: bool = True,
              images: Optional[tuple] = None) -> Optional[dict]:
        """Label the images of a data split (``'unlabeled'``, or e.g.
        ``'val'`` to score the labels against ground truth) with the
        labeler of ``round_`` into the COCO file ``out``; statistics on
        every rank. ``images``: the split's
        :func:`~mmcasp.datasets.collect_images` result, when the caller
        has it already."""
        labeler, rec = self.round_labeler(round_)
        d = self.split(split)
        entries, refused, root = images or collect_images(d['ann'], d['img'])
        stats = labeler.label(
            self,
            rec,
            entries,
            out,
            root,
            drop_empty=drop_empty,
            show_progress=show_progress,
            split=split,
            refused=refused)
        return _from_rank0(stats)  # statistics exist on rank 0 only

    def run_pseudo(self, round_: int = 1) -> dict:
        stage = round_stage('pseudo', round_)
        if not self.labeler.makes_labels:
            if self.records.get('labeler') is None:
                raise PipelineError('pseudo labels need the labeler stage')
            return self.records.write(stage, dict(kind='none', wall_s=0.0))
        t0 = time.time()
        d = self.split('unlabeled')
        images = collect_images(d['ann'], d['img'])
        refused = images[1]
        out = osp.join(self.records.dir(stage), 'pseudo_labels.json')
        stats = self.label('unlabeled', out, round_, images=images)
        _, rec = self.round_labeler(round_)
        warning = empty_labeler_warning(
            rec.get('metrics') or {}, stats, round_)
        if warning is not None:
            print_log(
                f'[casp] warning: {warning}',
                logger='current',
                level=logging.WARNING)
        if stats['images_kept'] == 0:
            raise PipelineError(
                f'the labeler of round {round_} kept no image ({stats}); '
                'train it longer or lower pseudo.delta (a CAM labeler: its '
                f'thresholds), then delete {self.records.dir(stage)} and '
                'run again')
        return self.records.write(
            stage,
            dict(
                file=out,
                stats=stats,
                refused=dict(refused),
                class_specific=self.settings.pseudo.class_specific,
                round=round_,
                warnings=[warning] if warning else [],
                wall_s=round(time.time() - t0, 1)))

    def run_warmup(self, round_: int = 1) -> dict:
        stage = round_stage('warmup', round_)
        pseudo = self.records.get(round_stage('pseudo', round_))
        if pseudo is None:
            raise PipelineError(f'{stage} needs the pseudo labels of round '
                                f'{round_}')
        if 'file' not in pseudo:  # pretraining on the images alone
            train, class_specific = self.split('unlabeled'), False
        else:
            with open(pseudo['file']) as f:
                root = json.load(f)['info']['image_root']
            train = dict(ann=pseudo['file'], img=root)
            class_specific = self.settings.pseudo.class_specific
        cfg = self.stage_config(
            stage, self.settings.warmup, train, class_specific, pretrain=True)
        return self.records.write(stage, self.train(stage, cfg))

    def _finetune_cfg(self, stage: str, init_from: Optional[str]) -> Config:
        from .stage_configs import with_transfer_init
        ft = getattr(self.settings, stage)
        cfg = self.stage_config(stage, ft, self.split('labeled'), True)
        return with_transfer_init(cfg, init_from, self.settings.finetune.parts,
                                  self.settings.finetune.classifier)

    def run_finetune(self) -> dict:
        last = round_stage('warmup', self.settings.rounds)
        warmup = self.records.get(last)
        if warmup is None:
            raise PipelineError(f'finetuning needs the {last} stage')
        return self.records.write(
            'finetune',
            self.train('finetune',
                       self._finetune_cfg('finetune', warmup['checkpoint'])))

    def run_baseline(self) -> dict:
        rec = self.train('baseline', self._finetune_cfg('baseline', None))
        if type(self.labeler).shapes_baseline(self.settings.labeler):
            rec['init'] = "the labeler's backbone"  # DAP: the classifier's
        return self.records.write('baseline', rec)

    # -------------------------------------------------------- evaluation
    def _scored_targets(self) -> Dict[str, str]:
        """The checkpoints the evaluate stage scores: ``{stage: path}``."""
        return {
            stage: rec['checkpoint']
            for stage in ('finetune', 'baseline')
            for rec in [self.records.get(stage)] if rec is not None
        }

    def unscored_evals(self, rec: Optional[dict] = None) -> List[dict]:
        """Extra evaluation sets the evaluate stage's record ``rec`` has no
        results for (new names, other files, or other checkpoints since)."""
        rec = self.records.get('evaluate') if rec is None else rec
        if rec is None:
            return list(self.extra_evals)
        if rec.get('checkpoints', {}) != self._scored_targets():
            return list(self.extra_evals)
        sets = rec.get('eval_sets', {})
        return [
            ev for ev in self.extra_evals
            if sets.get(ev['name']) != dict(ann=ev['ann'], img=ev['img'])
        ]

    def results(self) -> Dict[str, Optional[dict]]:
        """The records of every stage but ``evaluate`` (``None``: not
        done), self-training rounds included, in run order."""
        out = {s: self.records.get(s) for s in self.steps()[:-1]}
        if out.get('labeler') and 'method' not in out['labeler']:
            # a record written before labelers described themselves; its
            # settings are the present ones (checked before any stage)
            out['labeler'] = self.labeler.record(self, out['labeler'])
        return out

    def run_evaluate(self) -> dict:
        """Score the finetuned and baseline checkpoints on the extra
        evaluation sets and write the report. Sets an earlier run already
        scored (same files, same checkpoints) are not scored again."""
        from .report import write_report
        t0 = time.time()
        results = self.results()
        targets = self._scored_targets()
        prev = self.records.get('evaluate') or {}
        extra, eval_sets = {}, {}
        if prev.get('checkpoints', {}) == targets:
            extra = dict(prev.get('extra', {}))
            eval_sets = dict(prev.get('eval_sets', {}))
        for ev in self.unscored_evals():
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
                name = f"{self.name}_eval_{ev['name']}_{stage}"
                cfg = eval_config(
                    cfg, ev, rec['checkpoint'],
                    osp.join(
                        self.records.dir('evaluate'), f"{ev['name']}_{stage}"),
                    name, self.launcher)
                extra.setdefault(ev['name'], {})[stage] = {
                    k: float(v)
                    for k, v in Runner.from_cfg(cfg).test().items()
                }
        paths = _from_rank0(
            write_report(results, extra, osp.join(self.work_dir, 'report'),
                         self.settings.method) if get_dist_info()[0] ==
            0 else None)
        return self.records.write(
            'evaluate',
            dict(
                extra=extra,
                eval_sets=eval_sets,
                checkpoints=targets,
                report=paths,
                wall_s=round(time.time() - t0, 1)),
            with_settings=False)

    # --------------------------------------------------------------- run
    def steps(self, stages: Optional[Sequence[str]] = None) -> List[str]:
        """The stage folders ``stages`` (default all) run, in order:
        ``pseudo`` and ``warmup`` once per self-training round."""
        stages = set(stages or STAGES)
        out = [
            s for s in STAGES if s in stages and s not in ('pseudo', 'warmup')
        ]
        # every round when both are asked for; one of them alone: round 1
        # (round r + 1 needs round r's warmup); later rounds by their names
        last = self.settings.rounds if {'pseudo', 'warmup'} <= stages else 1
        rounds = [
            round_stage(s, r) for r in range(1, self.settings.rounds + 1)
            for s in ('pseudo', 'warmup')
            if (s in stages and r <= last) or round_stage(s, r) in stages
        ]
        at = 1 if out[:1] == ['labeler'] else 0
        return out[:at] + rounds + out[at:]

    def stage_names(self) -> List[str]:
        """Every stage ``run`` accepts: :data:`STAGES` and the round
        stages (``pseudo_round2``, ...)."""
        return list(STAGES) + [
            round_stage(s, r) for r in range(2, self.settings.rounds + 1)
            for s in ('pseudo', 'warmup')
        ]

    def _run_step(self, step: str) -> dict:
        base, r = stage_round(step)
        if base in ('pseudo', 'warmup'):
            return getattr(self, f'run_{base}')(r)
        return getattr(self, f'run_{base}')()

    def run(self, stages: Optional[List[str]] = None) -> Dict[str, dict]:
        """Run ``stages`` (default all) in order; done ones are skipped
        (delete a stage's folder to redo it), except that ``evaluate`` runs
        again for extra evaluation sets it has not scored yet: saved
        checkpoints can be scored on new sets without retraining. A done
        stage made with other settings (or other config file content) than
        the present ones stops the run with a :class:`PipelineError` naming
        what differs, instead of being reused."""
        register_all_modules(init_default_scope=False)
        unknown = [s for s in stages or () if s not in self.stage_names()]
        if unknown:
            raise PipelineError(
                f'unknown stages {unknown}; {self.stage_names()}')
        self.validate()
        steps = self.steps(stages)
        self.records.check_current([s for s in steps if s != 'evaluate'])
        out = {}
        for step in steps:
            rec = self.records.get(step)
            if step == 'evaluate' and rec is not None:
                new = [ev['name'] for ev in self.unscored_evals(rec)]
                if new:
                    # scoring saved checkpoints on sets they never saw
                    print_log(
                        f'[casp] evaluate: scoring the saved checkpoints on '
                        f'{new}',
                        logger='current')
                    rec = None
            if rec is not None:
                print_log(f'[casp] {step}: done, skipped', logger='current')
                out[step] = rec
                continue
            print_log(f'[casp] {step}: running', logger='current')
            out[step] = self._run_step(step)
        return out


def _parts_problems(parts: Sequence[str]) -> List[str]:
    """``finetune.parts`` that are no transferable part."""
    from mmcasp.surgery import PARTS
    known = [p for p in PARTS if p != 'classifier']
    return [
        'finetune.parts: the classifier init is finetune.classifier'
        if part == 'classifier' else
        f'finetune.parts: unknown part {part!r}{closest(part, known)}'
        for part in parts if part not in known
    ]


def _coco_file_problems(name: str, path: str) -> List[str]:
    """A COCO annotation file's problems, as lines of a validation error."""
    try:
        problems = coco_problems(load_json(path, 'COCO file'))
    except InputFileError as e:
        return [f'{name}: {e}']
    return [format_problems(f'{name}: {path}', problems)] if problems else []

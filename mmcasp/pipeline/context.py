# Copyright (c) mmcasp contributors. All rights reserved.
"""What stages and labelers see of a run: :class:`PipelineContext`.

The pipeline builds one context per run and hands it to every stage and to
the labeler, instead of itself: the settings (and the labeling rules
``pseudo``), the data splits, the stage configs, the records of done stages,
and the functions that build and train a stage's Runner config or label a
split. Ordering, skipping and running stages stay with
:class:`~mmcasp.pipeline.CaspPipeline`.
"""
import json
import os.path as osp
from dataclasses import asdict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.dist import broadcast_object_list

from mmcasp.utils import InputFileError, check_coco_file, load_config
from .errors import PipelineError
from .records import StageRecords, config_digest
from .settings import (DEFAULT_LABELER, CaspSettings, PseudoSettings,
                       StageSettings)
from .stage_configs import build_stage_config, resolve_config
from .stage_graph import StageId, labeler_is_baseline, stage_dependencies
from .training import train_stage

__all__ = ['PipelineContext', 'from_rank0']


def from_rank0(obj):
    """``obj`` of rank 0 on every rank (mmengine's broadcast does nothing
    when not distributed)."""
    box = [obj]
    broadcast_object_list(box, src=0)
    return box[0]


class PipelineContext:
    """A run's settings, data, configs, records and training, for stages
    and labelers.

    Args:
        raw: The ``casp`` dict as given (JSON-normalised).
        settings: It parsed (:func:`~mmcasp.pipeline.settings.parse`).
        labeler: The configured labeler (built from ``settings.labeler``).
        work_dir: Root of the stage folders.
        stage_dirs: Stage -> folder overrides (sweeps share stages).
        name: Prefix of the Runners' experiment names.
        launcher: The torch.distributed launcher of the process group.
        vis_backends: mmengine visualizer backends of every Runner.
        extra_evals: ``dict(name, ann, img)`` evaluation sets.
        run_stage: Runs a stage (unless done) and returns its record; set
            by the pipeline (a stage may need another's record first, e.g.
            a labeler that is the baseline's model).
    """

    def __init__(self,
                 raw: dict,
                 settings: CaspSettings,
                 labeler,
                 work_dir: str,
                 stage_dirs: Optional[Dict[str, str]] = None,
                 name: str = 'casp',
                 launcher: str = 'none',
                 vis_backends: Optional[List[dict]] = None,
                 extra_evals: Sequence[dict] = (),
                 run_stage: Optional[Callable[[StageId], dict]] = None):
        self.raw = raw
        self.settings = settings
        self.labeler = labeler
        self.work_dir = osp.abspath(work_dir)
        self.name = name
        self.launcher = launcher
        self.vis_backends = vis_backends
        self.extra_evals = list(extra_evals)
        self.run_stage = run_stage
        self._digests: Dict[str, str] = {}
        self._configs: Dict[str, Config] = {}
        self._image_labels: Dict[str, tuple] = {}
        self.records = StageRecords(self.work_dir, stage_dirs,
                                    self.recorded_settings)

    # ----------------------------------------------------------- settings
    @property
    def pseudo(self) -> PseudoSettings:
        """The labeling rules (δ, labels per image, ...) and loop."""
        return self.settings.pseudo

    @property
    def labeler_type(self) -> str:
        """The registered name of the configured labeler."""
        return self.settings.labeler.get('type', DEFAULT_LABELER)

    @property
    def on_entities(self) -> bool:
        """Whether labeler and warmup learn entities (things + stuff)."""
        return self.settings.pretrain_on == 'entities'

    @property
    def labeler_is_baseline(self) -> bool:
        """Whether the labeler stage would train the baseline's very model
        (:func:`~mmcasp.pipeline.stage_graph.labeler_is_baseline`)."""
        return labeler_is_baseline(self.raw)

    def agnostic_category(self) -> dict:
        """The one category of class-agnostic pseudo labels."""
        name = 'entity' if self.on_entities else 'object'
        return dict(id=1, name=name, supercategory=name)

    def recorded_settings(self, stage: str) -> dict:
        """What ``stage``'s result depends on (:func:`~mmcasp.pipeline.
        stage_graph.stage_dependencies`) and a digest of the resolved
        content of every config those settings name, so that an edited
        config file counts as a change too. JSON-normalised. A stage of
        one's own: the ``casp`` settings its spec depends on."""
        deps = stage_dependencies(self.raw, type(self.labeler))
        if stage not in deps:
            from .stages import stage_class
            spec = stage_class(StageId.parse(stage).kind).spec
            deps[stage] = {k: self.raw.get(k) for k in spec.depends_on}
        settings = json.loads(json.dumps(deps[stage], default=str))
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

    # --------------------------------------------------------------- data
    def split(self, name: str) -> dict:
        """A data split as a dict (``ann``, ``img``[, ``panoptic``,
        ``entities``, ``image_labels``])."""
        split = asdict(getattr(self.settings.data, name))
        return {k: v for k, v in split.items() if v is not None}

    def pretrain_split(self, name: str) -> dict:
        """What the labeler and the warmup learn from / are scored on: a
        split's instances, or its entity file (``pretrain_on``)."""
        split = self.split(name)
        if self.on_entities:
            return dict(ann=split['entities'], img=split['img'])
        return split

    def image_labels(self) -> Tuple[Optional[list], Optional[dict]]:
        """``(categories sorted by id, {file name: class indices})`` of
        ``data.unlabeled.image_labels`` (:func:`~mmcasp.datasets.
        image_level_labels`; annotations need no box), read once per run;
        ``(None, None)`` without one.

        Raises:
            InputFileError: the file is not a valid image-label file.
        """
        from mmcasp.datasets import image_level_labels
        path = self.split('unlabeled').get('image_labels')
        if not path:
            return None, None
        if path not in self._image_labels:
            self._image_labels[path] = image_level_labels(
                check_coco_file(
                    path, annotations=False, what='image-label file'))
        return self._image_labels[path]

    # ------------------------------------------------------------ configs
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

    def stage_config(self,
                     stage: str,
                     training: StageSettings,
                     train: dict,
                     class_specific: bool,
                     pretrain: bool = False) -> Config:
        """The Runner config of the training stage named ``stage``
        (:func:`~mmcasp.pipeline.stage_configs.build_stage_config`) for the
        ``training`` settings on the ``train`` split; ``pretrain``: a
        labeler or warmup stage, validated on what ``pretrain_on`` names
        (entities: AP^e). The labeler's :meth:`~BaseLabeler.
        stage_overrides` are set before the stage's own ``cfg_options``
        are merged."""
        values = {}
        if stage != 'labeler':
            values = self.labeler.stage_overrides(self,
                                                  self.records.get('labeler'),
                                                  stage)
        return build_stage_config(
            self.load_stage_config(training.config),
            train=train,
            val=self.pretrain_split('val') if pretrain else self.split('val'),
            entities=pretrain and self.on_entities,
            class_specific=class_specific,
            epochs=training.epochs,
            work_dir=self.records.dir(stage),
            name=f'{self.name}_{stage}',
            seed=self.settings.seed,
            launcher=self.launcher,
            vis_backends=self.vis_backends,
            cfg_options=training.cfg_options,
            values=values)

    def train(self, stage: str, cfg: Config) -> dict:
        """Train (or resume) the stage named ``stage`` with ``cfg``
        (:func:`~mmcasp.pipeline.training.train_stage`); its record, not
        yet written."""
        return train_stage(stage, cfg)

    # ----------------------------------------------------------- labeling
    def round_labeler(self, round_: int) -> tuple:
        """The labeler of a self-training round and its record: the
        configured one for round 1, the previous round's warmed-up model
        after."""
        from .labelers import CheckpointLabeler
        if round_ == 1:
            rec = self.records.get('labeler')
            if rec is None:
                raise PipelineError('pseudo labels need the labeler stage')
            return self.labeler, rec
        prev = self.records.get(StageId('warmup', round_ - 1).name)
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
        from mmcasp.datasets import collect_images
        labeler, rec = self.round_labeler(round_)
        d = self.split(split)
        entries, refused, root = images or collect_images(d['ann'], d['img'])
        stats = labeler.label_entries(
            self,
            rec,
            entries,
            out,
            root,
            drop_empty=drop_empty,
            show_progress=show_progress,
            split=split,
            refused=refused)
        return from_rank0(stats)  # statistics exist on rank 0 only

# Copyright (c) mmcasp contributors. All rights reserved.
"""The CaSP pipeline: labeler -> pseudo labels -> warmup (-> more
self-training rounds) -> finetune (and a baseline finetuned from the plain
init) -> evaluation and report.

:class:`CaspPipeline` only orders the stages, skips the done ones and runs
the rest. What it is made of lives beside it: the stage graph
(:mod:`.stage_graph`: order, inputs, what invalidates a stage, rounds), one
class per stage (:mod:`.stages`, registered in
:data:`mmcasp.registry.STAGES`), the context they share (:mod:`.context`),
the settings schema (:mod:`.settings`), a stage's Runner config
(:mod:`.stage_configs`), stage folders and ``done.json``
(:mod:`.records`), and the labelers (:mod:`.labelers`).

Each training stage is a real mmengine Runner with its own work dir
(``<work_dir>/<stage>/``: config dump, logs, checkpoints). A stage is done
when its ``done.json`` exists; re-running skips done stages and resumes a
half-finished training stage from its last checkpoint. Inputs are checked
before any training starts.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log

from mmcasp.pseudo_labels import dump_json_atomic
from mmcasp.utils import register_all_modules
from .context import PipelineContext
from .errors import PipelineError
from .labelers import build_labeler
from .settings import parse
from .stage_graph import StageId, default_order, expand, select
from .stages import BaseStage, run_results, stage_class, unscored_evals
from .validation import (image_label_problems, split_problems,
                         unlabeled_image_problems, vis_backend_problems)

__all__ = ['CaspPipeline', 'prepare_casp', 'build_labeler']


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
            ``rounds``, ``stages`` (the order, with stages of your own).
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
        PipelineError: ``stages`` names a stage that is not registered.
    """

    def __init__(self,
                 cfg: dict,
                 work_dir: str,
                 extra_evals: Sequence[dict] = (),
                 name: str = 'casp',
                 stage_dirs: Optional[Dict[str, str]] = None,
                 launcher: str = 'none',
                 vis_backends: Optional[List[dict]] = None) -> None:
        raw = json.loads(json.dumps(dict(cfg), default=list))
        settings = parse(raw)
        self.ctx = PipelineContext(
            raw,
            settings,
            build_labeler(settings.labeler),
            work_dir,
            stage_dirs=stage_dirs,
            name=name,
            launcher=launcher,
            vis_backends=vis_backends,
            extra_evals=extra_evals,
            run_stage=self.run_stage)
        self.order = tuple(settings.stages or default_order(raw))
        self.specs = {kind: stage_class(kind).spec for kind in self.order}
        self.plan = expand(self.order, self.specs, settings.rounds)
        self.ctx.plan = self.plan
        self._stages: Dict[StageId, BaseStage] = {}

    # what tools, benchmarks and tests read of a run
    @property
    def settings(self):
        return self.ctx.settings

    @property
    def labeler(self):
        return self.ctx.labeler

    @property
    def records(self):
        return self.ctx.records

    @property
    def work_dir(self) -> str:
        return self.ctx.work_dir

    @property
    def labeler_is_baseline(self) -> bool:
        return self.ctx.labeler_is_baseline

    def label(self, *args, **kwargs) -> Optional[dict]:
        """Label a data split (:meth:`PipelineContext.label`)."""
        return self.ctx.label(*args, **kwargs)

    def results(self) -> Dict[str, Optional[dict]]:
        """The records of every stage but ``evaluate`` (``None``: not
        done), in run order."""
        return run_results(self.ctx)

    def unscored_evals(self, rec: Optional[dict] = None) -> List[dict]:
        """Extra evaluation sets the evaluate stage's record (default the
        one on disk) has no results for."""
        if rec is None:
            rec = self.records.get('evaluate')
        return unscored_evals(self.ctx, rec)

    # ------------------------------------------------------------ order
    def stage(self, sid: StageId) -> BaseStage:
        """The stage object of ``sid``."""
        if sid not in self._stages:
            self._stages[sid] = stage_class(sid.kind)(sid)
        return self._stages[sid]

    def stage_names(self) -> List[str]:
        """Every stage ``run`` accepts: the plan's (``pseudo_round2``, ...
        with self-training rounds)."""
        return [s.name for s in self.plan]

    def steps(self, stages: Optional[Sequence[str]] = None) -> List[str]:
        """The stages ``stages`` (default all) run, in order (see
        :func:`~mmcasp.pipeline.stage_graph.select`)."""
        return [s.name for s in select(self.plan, self.specs, stages)]

    def to_run(self, stages: Optional[Sequence[str]] = None) -> List[str]:
        """The stages among ``stages`` that :meth:`run` would run now: not
        done, or done but to be redone (``evaluate`` with new eval sets)."""
        out = []
        for sid in select(self.plan, self.specs, stages):
            rec = self.records.get(sid.name)
            if rec is None or self.stage(sid).redo(self.ctx, rec):
                out.append(sid.name)
        return out

    # ------------------------------------------------------------- run
    def validate(self) -> None:
        """Stop with a message saying what to fix, before any training:
        the data splits, then each stage kind's own checks."""
        ctx = self.ctx
        problems = split_problems(ctx) + image_label_problems(ctx)
        for kind in self.order:
            problems += self.stage(StageId(kind)).check(ctx)
        problems += vis_backend_problems(ctx.vis_backends or [])
        if not problems:
            problems += unlabeled_image_problems(ctx)
        if problems:
            raise PipelineError('the pipeline cannot start:\n  - ' +
                                '\n  - '.join(problems))

    def run_stage(self, sid: StageId) -> dict:
        """Run the stage ``sid`` unless it is done (and not to be redone);
        its record."""
        stage = self.stage(sid)
        rec = self.records.get(sid.name)
        if rec is not None and not stage.redo(self.ctx, rec):
            print_log(f'[casp] {sid.name}: done, skipped', logger='current')
            return rec
        print_log(f'[casp] {sid.name}: running', logger='current')
        return self.records.write(
            sid.name,
            stage.run(self.ctx),
            with_settings=stage.spec.records_settings)

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
        steps = select(self.plan, self.specs, stages)
        self.records.check_current(
            [s.name for s in steps if self.specs[s.kind].records_settings])
        return {s.name: self.run_stage(s) for s in steps}

# Copyright (c) mmcasp contributors. All rights reserved.
"""The ``evaluate`` stage: score the saved checkpoints on the extra
evaluation sets and write the report."""
import os.path as osp
import time
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmcasp.registry import STAGES
from mmcasp.utils import shut_down_runner_workers
from ..context import from_rank0
from ..stage_configs import eval_config, is_panoptic
from ..stage_graph import BUILTIN
from ..validation import coco_file_problems
from .base import BaseStage

__all__ = ['EvaluateStage', 'run_results', 'unscored_evals']

#: the stages whose checkpoints are scored
SCORED = ('finetune', 'baseline')


def run_results(ctx) -> Dict[str, Optional[dict]]:
    """The records of every stage of the run but ``evaluate`` (``None``:
    not done), self-training rounds included, in run order."""
    out = {
        s.name: ctx.records.get(s.name)
        for s in ctx.plan if s.kind != 'evaluate'
    }
    if out.get('labeler') and 'method' not in out['labeler']:
        # a record written before labelers described themselves; its
        # settings are the present ones (checked before any stage)
        out['labeler'] = ctx.labeler.record(ctx, out['labeler'])
    return out


def scored_targets(ctx) -> Dict[str, str]:
    """The checkpoints the evaluate stage scores: ``{stage: path}``."""
    return {
        stage: rec['checkpoint']
        for stage in SCORED
        for rec in [ctx.records.get(stage)] if rec is not None
    }


def unscored_evals(ctx, rec: Optional[dict]) -> List[dict]:
    """Extra evaluation sets the evaluate record ``rec`` has no results
    for (new names, other files, or other checkpoints since)."""
    if rec is None or rec.get('checkpoints', {}) != scored_targets(ctx):
        return list(ctx.extra_evals)
    sets = rec.get('eval_sets', {})
    return [
        ev for ev in ctx.extra_evals
        if sets.get(ev['name']) != dict(ann=ev['ann'], img=ev['img'])
    ]


@STAGES.register_module('evaluate')
class EvaluateStage(BaseStage):
    """Scores the finetuned and baseline checkpoints on the extra
    evaluation sets (any COCO-format file and image folder) and writes the
    report. Sets an earlier run already scored (same files, same
    checkpoints) are not scored again; a done stage runs again when sets
    are new (:meth:`redo`): saved checkpoints are scored on new sets
    without retraining."""
    spec = BUILTIN['evaluate']

    def check(self, ctx) -> List[str]:
        problems = []
        for ev in ctx.extra_evals:
            for key in ('ann', 'img'):
                if not osp.exists(ev[key]):
                    problems.append(
                        f"eval set {ev['name']}: {ev[key]} does not exist")
            if osp.isfile(ev['ann']):
                problems.extend(
                    coco_file_problems(f"eval set {ev['name']}", ev['ann']))
        return problems

    def redo(self, ctx, record: dict) -> bool:
        new = [ev['name'] for ev in unscored_evals(ctx, record)]
        if new:
            print_log(
                f'[casp] evaluate: scoring the saved checkpoints on {new}',
                logger='current')
        return bool(new)

    def run(self, ctx) -> dict:
        from ..report import write_report
        t0 = time.time()
        results = run_results(ctx)
        targets = scored_targets(ctx)
        prev = ctx.records.get(self.name) or {}
        extra, eval_sets = {}, {}
        if prev.get('checkpoints', {}) == targets:
            extra = dict(prev.get('extra', {}))
            eval_sets = dict(prev.get('eval_sets', {}))
        for ev in unscored_evals(ctx, ctx.records.get(self.name)):
            extra.pop(ev['name'], None)
            eval_sets[ev['name']] = dict(ann=ev['ann'], img=ev['img'])
            for stage in SCORED:
                scores = self._score(ctx, ev, stage, results.get(stage))
                if scores is not None:
                    extra.setdefault(ev['name'], {})[stage] = scores
        paths = from_rank0(
            write_report(results, extra, osp.join(ctx.work_dir, 'report'), ctx.
                         settings.method) if get_dist_info()[0] == 0 else None)
        return dict(
            extra=extra,
            eval_sets=eval_sets,
            checkpoints=targets,
            report=paths,
            wall_s=round(time.time() - t0, 1))

    def _score(self, ctx, ev: dict, stage: str,
               rec: Optional[dict]) -> Optional[dict]:
        """The metrics of ``stage``'s checkpoint on the eval set ``ev``
        (``None``: not done, or a panoptic target)."""
        if rec is None:
            return None
        cfg = Config.fromfile(rec['config'])
        if is_panoptic(cfg.model):
            print_log(
                f"[casp] eval set {ev['name']}: instance annotations cannot"
                ' score a panoptic target; skipped',
                logger='current')
            return None
        name = f"{ctx.name}_eval_{ev['name']}_{stage}"
        cfg = eval_config(
            cfg, ev, rec['checkpoint'],
            osp.join(ctx.records.dir(self.name), f"{ev['name']}_{stage}"),
            name, ctx.launcher)
        runner = Runner.from_cfg(cfg)
        try:
            metrics = runner.test()
        finally:
            shut_down_runner_workers(runner, ['test'])
        return {k: float(v) for k, v in metrics.items()}

# Copyright (c) mmcasp contributors. All rights reserved.
"""``tools/casp.py --dry-run``: what a run would do, before anything
trains, also where the data or the network is missing."""
import os.path as osp

import pytest

from mmcasp.pipeline import CaspPipeline, prepare_casp
from mmcasp.pipeline.plan import (checkpoint_saves, format_plan, plan_rows,
                                  validation_runs)
from mmcasp.utils import load_config
from tests._helpers import REPO_ROOT
from tests.test_pipeline.test_casp import _casp

COCO = osp.join(REPO_ROOT, 'configs', 'casp', 'casp_r50_fpn_5x-3x_coco.py')


def test_plan_of_the_toy_pipeline(toy_root, tmp_path):
    pipe = CaspPipeline(_casp(toy_root), str(tmp_path / 'w'))
    rows = {r['stage']: r for r in plan_rows(pipe)}
    assert list(rows) == pipe.stage_names()
    assert all(r['status'] == 'to run' for r in rows.values())
    # 16 labeled images at the test's batch of 4, 1 epoch
    assert rows['labeler']['train images'] == '16'
    assert rows['labeler']['iterations'] == '4 x 1 at batch 4 per process'
    assert rows['warmup']['train images'] == '<= 8 (pseudo-labeled)'
    assert rows['finetune']['starts from'].startswith(
        "transferred from <the warmup stage's last checkpoint>")
    assert 'random weights' in rows['baseline']['starts from']
    assert format_plan(pipe).endswith('checks: nothing to fix')


def test_dry_run_of_a_coco_recipe_without_data_or_network(tmp_path):
    cfg = load_config(COCO)
    casp = prepare_casp(cfg, str(tmp_path / 'w'), str(tmp_path / 'coco'))
    text = format_plan(CaspPipeline(casp, str(tmp_path / 'w')))
    # what would be downloaded (the tests run with MMCASP_OFFLINE=1)
    assert 'would download https://download.pytorch.org/models/resnet50' in \
        text
    assert 'MMCASP_OFFLINE=1 switched off torchvision://resnet50' in text
    # every stage listed, the missing data said, not raised
    for stage in ('labeler', 'pseudo', 'warmup', 'finetune', 'baseline'):
        assert f'| {stage} | to run |' in text
    assert 'checks: the pipeline cannot start' in text
    assert 'instances_train2017.json does not exist' in text


def test_dry_run_times_each_stage_on_its_own_config_and_data(
        toy_root, tmp_path):
    """``--time-iters``: every stage to run gets an estimate, measured on
    its own config (seconds per iteration times its iterations), and the
    plan sums them; nothing is written to the work dir."""
    work = tmp_path / 'w'
    pipe = CaspPipeline(_casp(toy_root), str(work))
    rows = {r['stage']: r for r in plan_rows(pipe, time_iters=1)}
    for stage in ('labeler', 'warmup', 'finetune', 'baseline'):
        est = rows[stage]['time (est.)']
        # '<total> (<s> s/iter; validation 1 x 8 images: <val>)'
        assert ' s/iter; validation 1 x 8 images: ' in est, (stage, est)
        per = float(est.split('(')[1].split(' ')[0])
        # iterations (4 x 1 at batch 4; warmup: 8 images -> 2 x 1) x s/iter
        # plus one validation of the 8 val images
        iters = 2 if stage == 'warmup' else 4
        assert rows[stage]['_seconds'] > per * iters * 0.99 - 0.03
    assert rows['pseudo']['time (est.)'].endswith(' s/image)')
    text = format_plan(pipe, time_iters=1)
    assert 'estimated time of the stages to run: ' in text
    assert 'not timed' not in text and '_seconds' not in text
    assert not work.exists() or not any(work.iterdir())


def test_validations_and_checkpoints_follow_mmengine_s_epoch_loop():
    assert validation_runs(dict(val_interval=1), 12) == 12
    assert validation_runs(dict(val_interval=5), 12) == 3  # 5, 10, 12
    assert validation_runs(dict(val_interval=4), 12) == 3  # 4, 8, 12
    assert validation_runs(dict(val_interval=1, val_begin=10), 12) == 3
    assert validation_runs(dict(type='IterBasedTrainLoop'), 12) == 0
    assert checkpoint_saves(dict(checkpoint=dict(interval=1)), 12) == 12
    assert checkpoint_saves(dict(checkpoint=dict(interval=5)), 12) == 3
    assert checkpoint_saves(
        dict(checkpoint=dict(interval=5, save_last=False)), 12) == 2
    assert checkpoint_saves({}, 12) == 0
    assert validation_runs(dict(by_epoch=False), 12) == 0


def test_dry_run_timing_says_what_it_could_not_time(tmp_path):
    cfg = load_config(COCO)
    casp = prepare_casp(cfg, str(tmp_path / 'w'), str(tmp_path / 'coco'))
    text = format_plan(CaspPipeline(casp, str(tmp_path / 'w')), time_iters=1)
    assert 'estimated time: none (no stage to run could be timed' in text


def test_each_estimate_adds_up_what_was_timed(toy_root, tmp_path, monkeypatch):
    """With fixed timings (2 s per iteration, 0.5 s per epoch start,
    0.25 s per checkpoint, 0.125 s per predicted image) every estimate is
    exactly its iterations, epochs, validations and checkpoints."""
    from mmcasp.pipeline import stage_timing
    monkeypatch.setattr(
        stage_timing, 'time_training',
        lambda cfg, n: stage_timing.TrainingTime(2.0, 0.5, 0.25))
    monkeypatch.setattr(stage_timing, 'seconds_per_image',
                        lambda cfg, n, batch: 0.125)
    labeled = []  # the pseudo stage: its labeling loop's settings, images

    def per_labeled_image(cfg, settings, entries, root, batches):
        labeled.append((settings, len(entries), batches))
        return 0.125

    monkeypatch.setattr(stage_timing, 'seconds_per_labeled_image',
                        per_labeled_image)
    casp = _casp(toy_root)
    casp['pseudo']['flip'] = True
    pipe = CaspPipeline(casp, str(tmp_path / 'w'))
    rows = {r['stage']: r for r in plan_rows(pipe, time_iters=1)}
    # 1 epoch, one validation of the 8 val images, one checkpoint (the
    # last); the labeler and the class-specific stages: 16 labeled images
    # at batch 4; the warmup: at most 8 pseudo-labeled images
    per_stage = dict(labeler=4, warmup=2, finetune=4, baseline=4)
    for stage, iters in per_stage.items():
        expected = (0.5 + iters * 2.0) + 0.25 + 8 * 0.125
        assert rows[stage]['_seconds'] == pytest.approx(expected), stage
        assert rows[stage]['time (est.)'].startswith(
            f'{expected:.0f} s (2 s/iter; validation 1 x 8 images: 1 s)')
    # the 8 unlabeled images, labeled as the stage labels them (flip TTA)
    assert rows['pseudo']['_seconds'] == pytest.approx(8 * 0.125)
    assert rows['pseudo']['time (est.)'].endswith('with flip TTA)')
    assert labeled == [(pipe.ctx.pseudo, 8, 1)] and labeled[0][0].flip
    total = sum(r['_seconds'] for r in rows.values() if '_seconds' in r)
    assert total == pytest.approx(9.75 + 5.75 + 9.75 + 9.75 + 1.0)


def test_labeling_time_is_the_pseudo_stage_s_own_loop(toy_root, tmp_path):
    """``seconds_per_labeled_image`` runs the labeling loop the pseudo
    stage runs (untrained labeler, the pipeline's settings) and leaves
    nothing behind in the work dir."""
    from mmcasp.datasets import collect_images
    from mmcasp.pipeline.plan import stage_training, timing_config
    from mmcasp.pipeline.stage_timing import seconds_per_labeled_image
    from mmcasp.pseudo_labels import LabelingSettings
    work = tmp_path / 'w'
    ctx = CaspPipeline(_casp(toy_root), str(work)).ctx
    cfg = timing_config(ctx, 'labeler', stage_training(ctx, 'labeler'))
    d = ctx.split('unlabeled')
    entries, _, root = collect_images(d['ann'], d['img'])
    settings = LabelingSettings(batch_size=2, num_workers=0)
    per = seconds_per_labeled_image(cfg, settings, entries, root, batches=2)
    assert 0 < per < 60
    # whole batches of the loop: 3 rounded up to the 2 CPU workers' 4 (of
    # the 8 images: 4 to warm up, one whole batch of 4 timed, not 5)
    from mmcasp import pseudo_labels
    sizes = []
    real = pseudo_labels.label_images

    def label_images(predictor, part, *args, **kwargs):
        sizes.append(len(part))
        return real(predictor, part, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pseudo_labels, 'label_images', label_images)
        seconds_per_labeled_image(
            cfg,
            LabelingSettings(batch_size=3, num_workers=0, cpu_workers=2),
            entries,
            root,
            batches=5)
    # warm-up, then the one whole batch left (a GPU has no CPU workers)
    import torch
    assert sizes == ([3, 3] if torch.cuda.is_available() else [4, 4])
    with pytest.raises(ValueError, match='no images'):
        seconds_per_labeled_image(cfg, settings, [], root)
    assert not work.exists() or not any(work.iterdir())


def test_warmup_is_timed_on_its_pseudo_labels_once_they_exist(
        toy_root, tmp_path, monkeypatch):
    """A dry run after the pseudo stage times the warmup on the pseudo
    labels it will train on (their label density is what its iterations
    cost) and counts the images kept; before, on the labeled split."""
    from mmcasp.pipeline import stage_timing
    timed = []

    def record_training(cfg, n):
        timed.append(cfg.train_dataloader.dataset)
        return stage_timing.TrainingTime(1.0, 0.0, 0.0)

    monkeypatch.setattr(stage_timing, 'time_training', record_training)
    monkeypatch.setattr(stage_timing, 'seconds_per_image',
                        lambda cfg, n, batch: 0.0)
    work = str(tmp_path / 'w')
    before = {
        r['stage']: r
        for r in plan_rows(CaspPipeline(_casp(toy_root), work), 1)
    }
    assert before['warmup']['train images'] == '<= 8 (pseudo-labeled)'
    assert 'instances_labeled.json' in str(timed[1])  # labeler, warmup, ...
    done = CaspPipeline(_casp(toy_root), work).run(['labeler', 'pseudo'])
    kept = done['pseudo']['stats']['images_kept']
    timed.clear()
    rows = {
        r['stage']: r
        for r in plan_rows(CaspPipeline(_casp(toy_root), work), 1)
    }
    assert rows['warmup']['train images'] == f'{kept} (pseudo-labeled)'
    assert len(timed) == 3  # warmup, finetune, baseline: the rest is done
    assert done['pseudo']['file'] in str(timed[0])
    assert 'instances_labeled.json' not in str(timed[0])

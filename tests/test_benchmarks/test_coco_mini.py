# Copyright (c) mmcasp contributors. All rights reserved.
"""The COCO-mini benchmark's settings: scaled configs, per-method pipeline
settings, mean ± std aggregation (the runs themselves are in docs)."""
import importlib.util
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmcasp.pipeline import CaspPipeline, PipelineError
from tests._helpers import REPO_ROOT

spec = importlib.util.spec_from_file_location(
    'bench_coco_mini', osp.join(REPO_ROOT, 'benchmarks', 'coco_mini.py'))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.fixture(scope='module')
def methods(tmp_path_factory):
    """Every method's pipeline settings in the cpu profile (no data)."""
    work = tmp_path_factory.mktemp('bench')
    weak = str(work / 'data' / 'annotations' / 'weak_labels.json')
    return {
        m:
        bench.method_casp(m, bench.PROFILES['cpu'], str(work / 'data'),
                          str(work), 1, weak)
        for m in bench.METHODS
    }


def test_scaled_configs(methods):
    casp = methods['casp']
    ca = Config.fromfile(casp['labeler']['config'])
    assert ca.model.neck.out_channels == 64
    assert ca.model.bbox_head.feat_channels == 64
    assert ca.train_dataloader.batch_size == 4
    resize = [
        t for t in ca.test_dataloader.dataset.pipeline if t['type'] == 'Resize'
    ][0]
    assert tuple(resize['scale']) == (160, 160)
    # the cpu profile freezes the backbone's BN statistics (batch 4)
    assert ca.model.backbone.norm_eval is True
    cs = Config.fromfile(casp['finetune']['config'])
    assert cs.model.bbox_head.num_classes == 80
    assert cs.model.backbone.norm_eval is True
    assert cs.train_dataloader.dataset.type == 'CocoDataset'
    predet = Config.fromfile(methods['predet']['warmup']['config'])
    views = [
        t for t in predet.train_dataloader.dataset.pipeline
        if t['type'] == 'TwoViews'
    ][0]
    assert tuple(views['out_size']) == (128, 128)
    assert predet.model.backbone.norm_eval is True
    # the stem and the stride-2 and -4 stages are frozen in every stage
    # (mmdet's ResNet detectors freeze the stem and res2 alike)
    for cfg in (ca, cs, predet):
        assert cfg.model.backbone.frozen_stages == 3


def test_profiles_set_norm_eval_explicitly(tmp_path):
    src = osp.join(REPO_ROOT, 'benchmarks', 'configs',
                   'condinst_effl0_fpn_36e_coco-mini.py')
    for name, profile in bench.PROFILES.items():
        out = bench.scaled_config(src, str(tmp_path / f'{name}.py'), profile)
        assert Config.fromfile(out).model.backbone.norm_eval is \
            profile['norm_eval'], name
    # the gpu and smoke profiles keep the configs' trained statistics
    assert not bench.PROFILES['gpu']['norm_eval']
    # and (both) the configs' frozen stages
    own = Config.fromfile(src).model.backbone.frozen_stages
    for name in ('gpu', 'cpu_smoke'):
        assert bench.PROFILES[name]['frozen_stages'] is None
        out = Config.fromfile(str(tmp_path / f'{name}.py'))
        assert out.model.backbone.frozen_stages == own, name
    assert own != bench.PROFILES['cpu']['frozen_stages']


def test_every_method_is_a_valid_pipeline_up_to_the_data(methods, tmp_path):
    """Each method config under configs/casp/, with the profile applied,
    passes the pipeline's checks except for the (missing) data."""
    ep = bench.PROFILES['cpu']['epochs']
    for method, casp in methods.items():
        assert casp['seed'] == 1
        assert casp['data']['val']['ann'].endswith('annotations/val.json')
        with pytest.raises(PipelineError) as e:
            CaspPipeline(casp, str(tmp_path / method)).validate()
        problems = [
            line for line in str(e.value).splitlines()[1:]
            if 'does not exist' not in line
        ]
        assert problems == [], (method, problems)
        assert casp['finetune']['epochs'] == ep['finetune']
    assert methods['casp']['labeler']['epochs'] == ep['labeler']
    assert methods['casp']['warmup']['epochs'] == ep['warmup']
    assert methods['predet']['warmup']['epochs'] == ep['predet']
    assert methods['dap']['labeler'] == dict(
        type='cam', scales=bench.PROFILES['cpu']['cam_scales'], top_k=1)
    assert methods['casp-cs']['pseudo']['class_specific']
    assert methods['casp-cs']['finetune']['classifier'] == 'copy'
    assert methods['casp-r2']['rounds'] == 2
    labels = methods['predet-labels']
    assert labels['data']['unlabeled']['image_labels'].endswith(
        'weak_labels.json')
    warmup = Config.fromfile(labels['warmup']['config'])
    assert warmup.model.num_classes == 80
    assert warmup.train_dataloader.dataset.with_labels
    with pytest.raises(ValueError, match='give --image-labels'):
        bench.method_casp('predet-labels', bench.PROFILES['cpu'],
                          str(tmp_path), str(tmp_path), 1)
    # round 1 of casp-r2 is casp's: the same settings, so shared stages
    from mmcasp.pipeline import stage_dependencies
    r1, r2 = stage_dependencies(methods['casp']), stage_dependencies(
        methods['casp-r2'])
    for stage in bench.SHARED_STAGES['casp-r2'][1]:
        assert r1[stage] == r2[stage], stage


def test_aggregate_mean_and_std():

    def run(ap):
        return dict(
            stages=dict(finetune=dict(metrics={'coco/bbox_mAP': ap})),
            extra={'held_out': {
                'finetune': {
                    'coco/bbox_mAP': ap / 2
                }
            }},
            gap={
                'agnostic': {
                    'bbox_AP': ap,
                    'precision@0.5': 0.04,
                    'recall@0.5': ap
                }
            },
            wall_s=10.)

    per_run = {('casp', 0): run(0.1), ('casp', 1): run(0.3)}
    rows = bench.aggregate(per_run, ['casp', 'dap'], [0, 1])
    assert len(rows) == 1
    assert rows[0]['AP^det'] == '0.200 ± 0.141'
    assert rows[0]['held_out AP^det'] == '0.100 ± 0.071'
    assert rows[0]['val pseudo precision@0.5'] == '0.040 ± 0.000'
    assert rows[0]['val pseudo recall@0.5'] == '0.200 ± 0.141'
    assert rows[0]['seeds'] == 2


def _saved_run(ap, wall=10.):
    stages = dict(
        labeler=dict(wall_s=wall, metrics={'agnostic/bbox_mAP': ap / 2}),
        warmup=dict(wall_s=wall, metrics={'agnostic/bbox_mAP': ap / 3}),
        finetune=dict(
            wall_s=wall,
            metrics={
                'coco/bbox_mAP': ap,
                'coco/segm_mAP': ap / 2,
                'agnostic/bbox_mAP': 2 * ap
            }),
        # the shared baseline: counted in the baseline's row only
        baseline=dict(wall_s=1000., metrics={'coco/bbox_mAP': 0.}),
        evaluate=dict(wall_s=1.))
    # the finetuned model's loss per epoch, keys as JSON stores them:
    # 2.9 ... 1.7, then flat at 1.5 from epoch 8 on (the last 5 epochs)
    loss = dict(
        finetune={str(e): max(1.5, 3.1 - 0.2 * e)
                  for e in range(1, 14)})
    return dict(stages=stages, extra={}, gap={}, wall_s=0.5, loss=loss)


def test_wall_time_is_summed_from_the_stage_records():
    run = _saved_run(0.1, wall=10.)
    # a re-run that skipped every stage took 0.5 s, the stages took 31 s
    assert bench.stage_seconds(run, 'casp') == 31.
    assert bench.stage_seconds(run, 'baseline') == 1001.
    rows = bench.aggregate({('casp', 0): run}, ['casp'], [0])
    assert rows[0]['wall_s (mean)'] == 31
    # self-training: the later rounds' stages count too
    run['stages'].update(
        pseudo_round2=dict(wall_s=5.), warmup_round2=dict(wall_s=7.))
    assert bench.stage_seconds(run, 'casp-r2') == 43.
    # epochs 8 -> 13 of a curve still falling until epoch 9: 1.6 -> 1.5
    run['loss']['finetune'] = {
        str(e): 3.2 - 0.2 * e if e < 9 else 1.5
        for e in range(1, 14)
    }
    rows = bench.aggregate({('casp', 0): run}, ['casp'], [0])
    assert rows[0]['loss change, last 5 ep'] == f'{(1.5 - 1.6) / 1.6:.3f}'
    assert rows[0]['AP^det-a'] == '0.200'
    # a seed whose model kept no detection has no metrics: said, not hidden
    empty = _saved_run(0.3)
    empty['stages']['warmup']['metrics'] = {}
    rows = bench.aggregate({
        ('casp', 0): run,
        ('casp', 1): empty
    }, ['casp'], [0, 1])
    assert rows[0]['warmup AP^det-a'] == '0.033 (1 of 2 seeds)'
    assert rows[0]['AP^det'] == '0.200 ± 0.141'


def test_combine_merges_seeds_from_separate_runs(tmp_path):
    """One seed per GPU call, merged afterwards: the table has mean ± std
    over all of them, and the plot is written."""
    files = []
    for seed, ap in ((0, 0.1), (1, 0.3)):
        per_run = {('casp', seed): _saved_run(ap)}
        path = str(tmp_path / f'seed{seed}.json')
        bench.save_runs(path, 'gpu', [seed], per_run, [])
        files.append(path)
    out = tmp_path / 'out' / 'merged'
    bench.main([
        '--combine', *files, '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out)
    ])
    rows = json.load(open(tmp_path / 'work' / 'benchmark.json'))
    assert [r['method'] for r in rows] == ['casp']
    assert rows[0]['seeds'] == 2
    assert rows[0]['AP^det'] == '0.200 ± 0.141'
    assert rows[0]['labeler AP^det-a'] == '0.100 ± 0.071'
    # the scored model's loss: its last epoch, and flat over 5 epochs
    assert rows[0]['final loss'] == '1.500 ± 0.000'
    assert rows[0]['loss change, last 5 ep'] == '0.000 ± 0.000'
    merged = json.load(open(str(out) + '.json'))
    assert sorted(merged['runs']) == ['casp/seed0', 'casp/seed1']
    assert merged['seeds'] == [0, 1]
    png = open(str(out) + '.png', 'rb').read()
    assert png[:8] == b'\x89PNG\r\n\x1a\n'


def test_combine_refuses_different_profiles(tmp_path):
    a, b = str(tmp_path / 'a.json'), str(tmp_path / 'b.json')
    bench.save_runs(a, 'gpu', [0], {('casp', 0): _saved_run(0.1)}, [])
    bench.save_runs(b, 'cpu', [1], {('casp', 1): _saved_run(0.1)}, [])
    with pytest.raises(ValueError, match='not comparable'):
        bench.load_runs([a, b])
    # the same profile name with other settings (the profile changed)
    bench.save_runs(b, 'gpu', [1], {('casp', 1): _saved_run(0.1)}, [])
    saved = json.load(open(b))
    saved['settings']['epochs']['finetune'] = 3
    json.dump(saved, open(b, 'w'))
    with pytest.raises(ValueError, match='other settings'):
        bench.load_runs([a, b])


def test_training_images_sizes_the_profiles():
    per_method = bench.training_images(bench.PROFILES['gpu'])
    # labeler 10 x 100 + warmup 3 x 323 + finetune 10 x 100
    assert per_method['casp'] == 2969
    assert per_method['baseline'] == 1000
    # casp-cs's labeler is the baseline (trained once per seed)
    assert per_method['casp-cs'] == 3 * 323 + 1000
    # the five methods; the self-training row adds round 2 and a finetune
    assert sum(v for k, v in per_method.items() if k != 'casp-r2') == 9553
    assert per_method['casp-r2'] == 3 * 323 + 1000


def test_casp_cs_labeler_is_the_baseline_in_every_profile(tmp_path):
    """What :func:`training_images` assumes: in every profile casp-cs's
    labeler has the baseline's settings, so it is not trained twice;
    casp's class-agnostic labeler is a model of its own."""
    from mmcasp.pipeline import labeler_is_baseline
    for name, profile in bench.PROFILES.items():
        work = str(tmp_path / name)
        cs = bench.method_casp('casp-cs', profile, work, work, 0)
        assert labeler_is_baseline(cs), name
        ca = bench.method_casp('casp', profile, work, work, 0)
        assert not labeler_is_baseline(ca), name


def test_paired_rows_compare_with_the_baseline_of_the_same_seed():

    def base(ap):
        return dict(
            stages=dict(baseline=dict(metrics={'coco/bbox_mAP': ap})),
            extra={},
            gap={})

    per_run = {}
    for seed, (b, m) in enumerate(((0.10, 0.12), (0.30, 0.32), (0.20, 0.215))):
        per_run[('baseline', seed)] = base(b)
        per_run[('casp', seed)] = _saved_run(m)
    # seed 3 has no baseline: left out of the pairs
    per_run[('casp', 3)] = _saved_run(0.9)
    rows = bench.paired_rows(per_run, ['baseline', 'casp'], [0, 1, 2, 3])
    ap = [r for r in rows if r['metric'] == 'AP^det']
    assert len(ap) == 1 and ap[0]['method'] == 'casp'
    assert ap[0]['seeds'] == 3
    assert ap[0]['difference (mean ± std)'] == '+0.0183 ± 0.0029'
    assert ap[0]['beyond seed noise'] == 'yes'
    assert ap[0]['per seed'] == '+0.0200 +0.0200 +0.0150'
    # the baseline has no AP50 here: no row for it
    assert not [r for r in rows if r['metric'] == 'AP50^det']


def test_untrained_stages_are_what_run_would_train(methods, tmp_path):
    """A fresh run has every training stage (each round's) still to train,
    never ``evaluate``; a stage with a record is done."""
    pipe = CaspPipeline(methods['casp-r2'], str(tmp_path / 'r2'))
    assert bench.untrained_stages(pipe) == [
        'labeler', 'pseudo', 'warmup', 'pseudo_round2', 'warmup_round2',
        'finetune', 'baseline'
    ]
    pipe.records.write('labeler', dict(wall_s=1.0))
    assert bench.untrained_stages(pipe)[0] == 'pseudo'
    base = CaspPipeline(methods['baseline'], str(tmp_path / 'base'))
    assert bench.untrained_stages(base, ['baseline', 'evaluate']) == \
        ['baseline']


def test_score_only_trains_nothing(tmp_path):
    """``--score-only`` skips every run that has a stage to train; with no
    finished run at all it stops with an error instead of training."""
    root = tmp_path / 'data' / 'annotations'
    root.mkdir(parents=True)
    for name in ('labeled', 'unlabeled', 'val'):
        (root / f'{name}.json').write_text('{}')
    with pytest.raises(SystemExit, match='no finished run'):
        bench.main([
            '--score-only', '--profile', 'cpu_smoke', '--data-root',
            str(tmp_path / 'data'), '--work-dir',
            str(tmp_path / 'work'), '--methods', 'baseline', 'casp', '--seeds',
            '0'
        ])
    assert not (tmp_path / 'work' / 'seed0' / 'casp' / 'labeler').exists()

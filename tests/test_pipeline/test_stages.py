# Copyright (c) mmcasp contributors. All rights reserved.
"""The stage graph (order, rounds, selection, names) and a stage registered
from outside mmcasp run in a pipeline (nothing trained: the labeler is a
given checkpoint whose labels are fixed by construction)."""
import copy
import json
import os.path as osp
import sys

import pytest

from mmcasp.pipeline import (BUILTIN, DEFAULT_ORDER, CaspPipeline,
                             PipelineError, StageId, StageSpec, prepare_casp,
                             stage_dependencies)
from mmcasp.pipeline.stage_graph import expand, select
from mmcasp.registry import STAGES
from mmcasp.utils import load_config
from tests._helpers import TINY_CONFIG
from tests._standin_models import constant_condinst_checkpoint
from tests.test_pipeline.test_casp import _casp

MY_STAGES = '''\
from mmcasp.pipeline import BaseStage, StageSpec
from mmcasp.pseudo_labels import load_pseudo_labels
from mmcasp.registry import STAGES


@STAGES.register_module('label_sizes')
class LabelSizes(BaseStage):
    spec = StageSpec(inputs=('pseudo', ),
                     depends_on=('data', 'labeler', 'pseudo', 'seed'))

    def run(self, ctx):
        pseudo = self.input_record(ctx, 'pseudo')
        labels = load_pseudo_labels(pseudo['file'])  # a label store
        areas = [a['area'] for a in labels['annotations']]
        return dict(small=sum(a < 32**2 for a in areas),
                    medium=sum(32**2 <= a < 96**2 for a in areas),
                    large=sum(a >= 96**2 for a in areas))
'''


def test_rounds_expand_as_a_block_in_any_order():
    specs = dict(BUILTIN, sizes=StageSpec(per_round=True))
    order = ('labeler', 'pseudo', 'sizes', 'warmup', 'finetune', 'baseline',
             'evaluate')
    names = [s.name for s in expand(order, specs, 2)]
    assert names == [
        'labeler', 'pseudo', 'sizes', 'warmup', 'pseudo_round2',
        'sizes_round2', 'warmup_round2', 'finetune', 'baseline', 'evaluate'
    ]
    assert [s.name
            for s in expand(DEFAULT_ORDER, BUILTIN, 1)] == list(DEFAULT_ORDER)
    plan = expand(DEFAULT_ORDER, BUILTIN, 3)
    # one per-round kind alone: round 1 (round r + 1 needs round r)
    assert [s.name for s in select(plan, BUILTIN, ['pseudo'])] == ['pseudo']
    assert [s.name for s in select(plan, BUILTIN, ['pseudo', 'warmup'])
            ] == [s.name for s in plan if s.kind in ('pseudo', 'warmup')]
    assert [s.name for s in select(plan, BUILTIN, ['warmup_round3'])
            ] == ['warmup_round3']
    assert select(plan, BUILTIN, None) == plan


def test_stage_ids_are_kind_and_round():
    sid = StageId('warmup', 2)
    assert (sid.kind, sid.round, sid.name) == ('warmup', 2, 'warmup_round2')
    assert StageId.parse(sid.name) == sid
    assert StageId.parse('pseudo') == StageId('pseudo')
    # a stage of one's own whose name ends like a round is not one
    assert StageId.parse('sizes_round1') == StageId('sizes_round1')


def test_an_unknown_stage_is_named_with_the_closest(toy_root, tmp_path):
    casp = dict(_casp(toy_root), stages=list(DEFAULT_ORDER) + ['evalute'])
    with pytest.raises(PipelineError, match="did you mean 'evaluate'"):
        CaspPipeline(casp, str(tmp_path / 'w'))


@pytest.fixture
def my_stages(tmp_path):
    (tmp_path / 'my_stages.py').write_text(MY_STAGES)
    sys.path.insert(0, str(tmp_path))
    yield str(tmp_path)
    sys.path.remove(str(tmp_path))
    sys.modules.pop('my_stages', None)
    STAGES._module_dict.pop('label_sizes', None)


def test_a_stage_registered_outside_mmcasp(my_stages, toy_root, tmp_path):
    ckpt = constant_condinst_checkpoint(TINY_CONFIG,
                                        str(tmp_path / 'labeler.pth'))
    cfg_file = tmp_path / 'my_pipeline.py'
    cfg_file.write_text("custom_imports = dict(imports=['my_stages'], "
                        'allow_failed_imports=False)\n'
                        f'casp = {_casp(toy_root)!r}\n')
    cfg = load_config(str(cfg_file))  # mmengine imports my_stages
    assert 'label_sizes' in STAGES.module_dict
    casp = prepare_casp(cfg, str(tmp_path), toy_root)
    casp['labeler'] = dict(
        type='checkpoint', config=TINY_CONFIG, checkpoint=ckpt)
    casp['stages'] = [
        'labeler', 'pseudo', 'label_sizes', 'warmup', 'finetune', 'baseline',
        'evaluate'
    ]
    work = str(tmp_path / 'w')
    pipe = CaspPipeline(casp, work, name='t_sizes')
    assert 'label_sizes' in pipe.stage_names()
    out = pipe.run(['labeler', 'pseudo', 'label_sizes'])
    sizes = out['label_sizes']
    # the stand-in gives every image max_per_image labels
    n_labels = out['pseudo']['stats']['labels']
    assert n_labels == 3 * out['pseudo']['stats']['images_kept'] > 0
    assert sizes['small'] + sizes['medium'] + sizes['large'] == n_labels
    done = json.load(open(osp.join(work, 'label_sizes', 'done.json')))
    assert done['settings']['pseudo'] == casp['pseudo']
    assert set(done['settings']) == {
        'data', 'labeler', 'pseudo', 'seed', 'config_content'
    }
    # done: skipped; another delta makes it (and pseudo) stale
    assert CaspPipeline(casp,
                        work).to_run(['labeler', 'pseudo',
                                      'label_sizes']) == []
    other = copy.deepcopy(casp)
    other['pseudo']['delta'] = 0.5
    with pytest.raises(PipelineError, match=r'label_sizes .*pseudo\.delta'):
        CaspPipeline(other, work).run(['label_sizes'])
    # the built-in stages' dependencies are those of the graph
    assert set(stage_dependencies(casp)) >= set(DEFAULT_ORDER) - {'evaluate'}


def test_finetune_from_the_labeler(toy_root, tmp_path):
    """CaSP Table 2's Objects(G,A): the finetune starts from the labeler
    (here a given checkpoint); no pseudo labels, no warmup; the transfer is
    checked on the models' shapes before anything runs."""
    ckpt = constant_condinst_checkpoint(TINY_CONFIG,
                                        str(tmp_path / 'labeler.pth'))
    casp = _casp(toy_root)
    casp['labeler'] = dict(
        type='checkpoint', config=TINY_CONFIG, checkpoint=ckpt)
    casp['finetune']['init_from'] = 'labeler'
    work = str(tmp_path / 'ga')
    pipe = CaspPipeline(casp, work, name='t_ga')
    assert pipe.stage_names() == [
        'labeler', 'finetune', 'baseline', 'evaluate'
    ]
    deps = stage_dependencies(casp)['finetune']
    assert set(deps) == {'data', 'labeler', 'finetune', 'seed'}
    out = pipe.run(['labeler', 'finetune'])
    dumped = open(out['finetune']['config']).read()
    assert 'CaSPTransfer' in dumped and ckpt in dumped
    assert not osp.exists(osp.join(work, 'warmup'))
    # a classifier that cannot be copied (1 class -> the toy's 6) stops
    # before any stage runs, not after the labeler and the warmup
    bad = copy.deepcopy(casp)
    bad['finetune']['classifier'] = 'copy'
    with pytest.raises(PipelineError, match='classifier copy: source'):
        CaspPipeline(bad, str(tmp_path / 'copy')).validate()
    cam = copy.deepcopy(casp)
    cam['labeler'] = dict(type='cam')
    with pytest.raises(PipelineError, match="gives no detector"):
        CaspPipeline(cam, str(tmp_path / 'cam')).validate()

# Copyright (c) mmcasp contributors. All rights reserved.
"""The offline switch: which checkpoints a config loads, which would be
downloaded, and what starts from random weights instead."""
import copy
import logging
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmcasp.utils import pretrained as P
from tests._helpers import REPO_ROOT, TINY_CONFIG, subprocess_env

URL = 'https://example.invalid/weights/r18w16-000000.pth'
URL_CACHED = 'https://example.invalid/weights/r18w16-cached.pth'


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty torch hub (``$TORCH_HOME/hub``) and mmengine home."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setenv('MMENGINE_HOME', str(tmp_path / 'mmengine'))
    checkpoints = tmp_path / 'torch' / 'hub' / 'checkpoints'
    checkpoints.mkdir(parents=True)
    return checkpoints


def _r18w16(init_cfg=None, **kw):
    return dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        out_indices=(0, 1, 2, 3),
        init_cfg=init_cfg,
        **kw)


def test_switch_reads_the_environment(monkeypatch):
    for value in ('1', 'true', 'YES', ' on '):
        assert P.offline_enabled({'MMCASP_OFFLINE': value})
    for value in ('', '0', 'false', 'no'):
        assert not P.offline_enabled({'MMCASP_OFFLINE': value})
    assert not P.offline_enabled({})
    # the suite sets it for itself and for the tools it starts
    assert P.offline_enabled()
    monkeypatch.delenv('MMCASP_OFFLINE')
    assert subprocess_env()['MMCASP_OFFLINE'] == '1'


def test_checkpoints_are_classified_where_the_loader_reads(hub, tmp_path):
    (hub / 'r18w16-cached.pth').write_bytes(b'x')
    local = tmp_path / 'mine.pth'
    local.write_bytes(b'x')
    status, url, path, problem = P.classify_checkpoint(URL)
    assert (status, url) == ('download', URL)
    assert path == str(hub / 'r18w16-000000.pth') == P.hub_cache_file(URL)
    assert P.classify_checkpoint(URL_CACHED)[0] == 'cached'
    assert P.classify_checkpoint(str(local))[:1] == ('local', )
    assert P.classify_checkpoint(str(tmp_path / 'no.pth'))[0] == 'missing'
    # torchvision:// resolves through mmengine's table, into the hub cache
    status, url, path, _ = P.classify_checkpoint('torchvision://resnet50')
    assert status == 'download'
    assert url == 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
    assert path == str(hub / 'resnet50-0676ba61.pth')
    (hub / 'resnet50-0676ba61.pth').write_bytes(b'x')
    assert P.classify_checkpoint('torchvision://resnet50')[0] == 'cached'
    # open-mmlab:// names are mmengine's table entries (URLs here)
    status, url, _, _ = P.classify_checkpoint(
        'open-mmlab://detectron2/resnet50_caffe')
    assert status == 'download' and url.startswith('https://')
    assert P.classify_checkpoint('torchvision://no_such_net')[0] == \
        'unresolvable'
    assert P.classify_checkpoint('s3://bucket/w.pth')[0] == 'remote'


def _several_parts():
    """A detector config with five pretrained parts of every kind."""
    return dict(
        type='FasterRCNN',
        # whole-model initialisers: a cached URL, then a Kaiming init
        init_cfg=[
            dict(type='Pretrained', checkpoint=URL_CACHED),
            dict(type='Kaiming', layer='Conv2d')
        ],
        backbone=_r18w16(dict(type='Pretrained', checkpoint=URL)),
        neck=dict(
            type='FPN',
            in_channels=[16, 32, 64, 128],
            out_channels=8,
            num_outs=5,
            init_cfg=dict(
                type='Pretrained', checkpoint='torchvision://'
                'resnet50')),
        rpn_head=dict(type='RPNHead', pretrained=URL),
        roi_head=dict(
            type='StandardRoIHead',
            bbox_head=dict(type='EfficientNetLite', pretrained='imagenet')))


def test_switch_on_replaces_only_what_would_be_downloaded(hub):
    (hub / 'r18w16-cached.pth').write_bytes(b'x')
    cfg = _several_parts()
    before = copy.deepcopy(cfg)
    off = P.apply_offline(cfg, enabled=False)
    assert cfg == before  # switch off: nothing changes
    assert [s.key for s in off.would_download] == [
        'model.backbone.init_cfg', 'model.neck.init_cfg',
        'model.rpn_head.pretrained'
    ]
    assert not off.replaced and not off.backbone_random
    assert off.backbone.startswith('pretrained: ' + URL)

    report = P.apply_offline(cfg, enabled=True)
    assert report.offline
    # the three that need the network are gone, the rest stays
    assert cfg['backbone']['init_cfg'] is None
    assert cfg['neck']['init_cfg'] is None
    assert cfg['rpn_head']['pretrained'] is None
    assert cfg['init_cfg'] == [
        dict(type='Pretrained', checkpoint=URL_CACHED),
        dict(type='Kaiming', layer='Conv2d')
    ]
    assert cfg['roi_head']['bbox_head']['pretrained'] == 'imagenet'
    assert report.random_modules == [
        'model.backbone', 'model.neck', 'model.rpn_head'
    ]
    kinds = {s.key: (s.kind, s.status) for s in report.sources}
    assert kinds['model.init_cfg.0'] == ('init_cfg', 'cached')
    assert kinds['model.roi_head.bbox_head.pretrained'] == ('package',
                                                            'package')
    # the backbone: its own checkpoint is off; the model's cached whole-model
    # checkpoint (no prefix) still loads into it
    assert report.backbone.startswith('pretrained: ' + URL_CACHED)
    text = report.format('test model')
    assert 'MMCASP_OFFLINE=1' in text and 'switched off' in text
    assert report.to_dict()['random_modules'] == report.random_modules


def test_backbone_lines_say_why_it_is_random(hub):
    switched = {'backbone': _r18w16(dict(type='Pretrained', checkpoint=URL))}
    rep = P.apply_offline(switched, True)
    assert rep.backbone_random and rep.backbone_by_switch
    scratch = {'backbone': _r18w16([dict(type='Kaiming', layer='Conv2d')])}
    rep = P.init_report(scratch, False)
    assert rep.backbone_random and not rep.backbone_by_switch
    assert 'from scratch' in rep.backbone
    rep = P.init_report({'backbone': _r18w16()}, False)
    assert rep.backbone_random and 'no pretrained' in rep.backbone
    transfer = dict(
        backbone=_r18w16(dict(type='Pretrained', checkpoint=URL)),
        init_cfg=dict(
            type='mmcasp.CaSPTransfer',
            checkpoint='w.pth',
            parts=['backbone', 'neck']))
    rep = P.init_report(transfer, True)
    assert not rep.backbone_random and 'transferred' in rep.backbone
    # the transfer is reported, never changed; the backbone's own ImageNet
    # init (loaded before the transfer replaces it) is switched off
    assert [(s.kind, s.replaced) for s in rep.sources] == [('transfer', False),
                                                           ('init_cfg', True)]


def test_a_cached_checkpoint_is_what_mmengine_loads(hub):
    """The cache file the report names is the one mmengine's loader reads:
    a model initialises from it with no network."""
    from mmcasp.utils.build import build_model
    src = build_model(_r18w16(), 'mmdet')
    state = {
        k: torch.full_like(v, 0.5)
        for k, v in src.state_dict().items() if v.dtype.is_floating_point
    }
    torch.save(state, P.hub_cache_file(URL_CACHED))
    cfg = _r18w16(dict(type='Pretrained', checkpoint=URL_CACHED))
    assert P.init_report(cfg, True).sources[0].status == 'cached'
    model = build_model(cfg, 'mmdet')  # the switch is on: it is kept
    assert torch.equal(model.conv1.weight,
                       torch.full_like(model.conv1.weight, 0.5))


def test_build_model_starts_uncached_weights_at_random(hub, log_records):
    from mmcasp.utils.build import build_model
    cfg = _r18w16(dict(type='Pretrained', checkpoint=URL))
    model = build_model(cfg, 'mmdet')  # no network: would fail to download
    assert model.is_init
    assert cfg['init_cfg'] == dict(type='Pretrained', checkpoint=URL)
    warned = [
        r.getMessage() for r in log_records if r.levelno == logging.WARNING
    ]
    assert any('MMCASP_OFFLINE=1' in m and URL in m for m in warned)


def test_runner_config_applies_the_switch_and_reports(hub, tmp_path):
    from mmcasp.utils import runner_config
    path = tmp_path / 'r50_toy.py'
    path.write_text(f"_base_ = '{TINY_CONFIG}'\n"
                    "model = dict(backbone=dict(init_cfg=dict(_delete_=True,\n"
                    "    type='Pretrained', checkpoint='torchvision://"
                    "resnet50')))\n")
    cfg, report = runner_config(
        str(path), work_dir=str(tmp_path / 'w'), with_init_report=True)
    assert cfg.model.backbone.init_cfg is None
    assert [s.checkpoint
            for s in report.replaced] == ['torchvision://resnet50']
    assert report.backbone_by_switch
    assert 'torchvision://resnet50' in report.format()


def test_paper_configs_report_their_imagenet_start_and_switch_it_off():
    """The shipped COCO recipe: every stage config's backbone starts from
    ImageNet; offline (this machine) none downloads."""
    stages = {
        'labeler':
        'configs/condinst/condinst-ca_r50_fpn_ms-3x_coco-objects.py',
        'warmup': 'configs/condinst/condinst-ca_r50_fpn_ms-5x_coco-objects.py',
        'finetune': 'configs/transfer/condinst-casp_r50_fpn_ms-3x_coco.py',
        'swin':
        'configs/condinst/condinst-ca_swin-t_fpn_ms-3x_coco-objects.py',
        'effl0':
        'configs/condinst/condinst-ca_effl0_fpn_ms-1x_coco-objects.py',
    }
    cfgs = {
        k: Config.fromfile(osp.join(REPO_ROOT, v))
        for k, v in stages.items()
    }
    online = P.stage_init_reports(cfgs, offline=False)
    for stage in ('labeler', 'warmup', 'finetune'):
        src = {s.key: s for s in online[stage].sources}
        assert src['model.backbone.init_cfg'].checkpoint == \
            'torchvision://resnet50'
    assert not any(r.backbone_random for r in online.values())
    assert online['swin'].sources[0].url.endswith(
        'swin_tiny_patch4_window7_224.pth')
    assert online['effl0'].sources[0].status == 'package'
    offline = P.stage_init_reports(cfgs, offline=True)
    for rep in offline.values():
        assert all(s.replaced for s in rep.would_download)
    assert cfgs['labeler'].model.backbone.init_cfg is not None  # unchanged
    text = P.format_stage_init_reports(offline)
    assert text.startswith('labeler: backbone ')
    if not os.path.isfile(
            P.hub_cache_file('https://download.pytorch.org/models/'
                             'resnet50-0676ba61.pth')):
        assert offline['labeler'].backbone_by_switch
        assert 'switched off' in text


def test_init_report_tool_lists_every_stage_offline(tmp_path):
    """The check a machine without network runs before a COCO pipeline:
    every stage's init and what would be downloaded, nothing downloaded."""
    import subprocess
    import sys
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'misc', 'init_report.py'),
        'configs/casp/casp_r50_fpn_5x-3x_coco.py'
    ],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          env=subprocess_env(TORCH_HOME=str(tmp_path)),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    for stage in ('labeler', 'warmup', 'finetune', 'baseline'):
        assert f'\n{stage} (configs/' in '\n' + out
    assert out.count('would download https://download.pytorch.org/models/'
                     'resnet50-0676ba61.pth (switched off') == 4
    assert 'finetune (configs/transfer/condinst-casp_r50_fpn_ms-3x_coco.py):' \
        ' backbone transferred' in out

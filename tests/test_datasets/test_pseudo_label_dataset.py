# Copyright (c) mmcasp contributors. All rights reserved.
"""``PseudoLabelDataset`` yields what ``ClassAgnosticCocoDataset`` yields
for the store's COCO export: the same data infos, filters, metainfo, and
the same samples after the toy CondInst config's training pipeline; it
keeps no image without a typed error, and DataLoader workers read it."""
import json
import os.path as osp
import pickle
import random

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcasp.datasets import (ClassAgnosticCocoDataset, DatasetCheckError,
                             EmptyDatasetError, PseudoLabelDataset,
                             check_datasets)
from mmcasp.pseudo_labels.label_store import (LabelStoreError, build_store,
                                              export_coco)
from mmcasp.utils import register_all_modules
from tests._helpers import TINY_CONFIG
from tests._label_records import make_records, write_records


@pytest.fixture(scope='module')
def labels(tmp_path_factory):
    """A store, its COCO export and the images they name."""
    root = tmp_path_factory.mktemp('pseudo')
    records = make_records(24, seed=2)
    rng = np.random.default_rng(0)
    for rec in records:
        if 'height' in rec:
            path = root / 'images' / rec['file_name']
            path.parent.mkdir(parents=True, exist_ok=True)
            img = rng.integers(0, 255, (rec['height'], rec['width'], 3))
            cv2.imwrite(str(path), img.astype(np.uint8))
    (root / 'records').mkdir()
    write_records(str(root / 'records'), records, files=2)
    store = str(root / 'store')
    build_store(
        str(root / 'records'),
        store,
        info=dict(image_root=str(root / 'images')),
        drop_empty=False,  # images without labels: filter_empty_gt's work
        images_per_file=7)
    coco = str(root / 'export.json')
    export_coco(store, coco)
    register_all_modules(init_default_scope=False)
    return store, coco, str(root / 'images')


def _pair(labels, **kw):
    store, coco, images = labels
    with DefaultScope.overwrite_default_scope('mmcasp'):
        ref = ClassAgnosticCocoDataset(
            ann_file=coco, data_prefix=dict(img=images + '/'), **kw)
        new = PseudoLabelDataset(
            store=store, data_prefix=dict(img=images + '/'), **kw)
    return ref, new


@pytest.mark.parametrize('filter_cfg', [
    None,
    dict(filter_empty_gt=False),
    dict(filter_empty_gt=True, min_size=4),
    dict(filter_empty_gt=True, min_size=40),
])
def test_same_data_infos_and_filters(labels, filter_cfg):
    ref, new = _pair(labels, filter_cfg=filter_cfg)
    assert len(new) == len(ref) > 0
    assert new.metainfo == ref.metainfo
    for i in range(len(ref)):
        assert new.get_data_info(i) == ref.get_data_info(i)
        assert new.get_cat_ids(i) == ref.get_cat_ids(i)
    _, test = _pair(labels, filter_cfg=filter_cfg, test_mode=True)
    assert len(test) == len(_pair(labels, test_mode=True)[0])


def test_same_samples_after_the_training_pipeline(labels):
    pipeline = Config.fromfile(TINY_CONFIG).train_pipeline
    ref, new = _pair(
        labels,
        pipeline=pipeline,
        filter_cfg=dict(filter_empty_gt=True, min_size=4))
    masks = 0
    for i in range(len(ref)):
        samples = []
        for ds in (ref, new):  # the same random draws for both
            random.seed(i)
            np.random.seed(i)
            torch.manual_seed(i)
            samples.append(ds[i])
        a, b = samples
        assert torch.equal(a['inputs'], b['inputs'])
        sa, sb = a['data_samples'], b['data_samples']
        assert sa.metainfo.keys() == sb.metainfo.keys()
        for k in sa.metainfo:
            assert np.array_equal(sa.metainfo[k], sb.metainfo[k]), k
        for field in ('gt_instances', 'ignored_instances'):
            ia, ib = getattr(sa, field), getattr(sb, field)
            assert torch.equal(ia.bboxes.tensor, ib.bboxes.tensor)
            assert torch.equal(ia.labels, ib.labels)
            if 'masks' in ia:
                assert np.array_equal(ia.masks.masks, ib.masks.masks)
                masks += len(ia.masks)
    assert masks > 0


def test_image_root_from_the_store_and_workers(labels):
    store, _, images = labels
    with DefaultScope.overwrite_default_scope('mmcasp'):
        ds = PseudoLabelDataset(
            store=store, filter_cfg=dict(filter_empty_gt=True))
    assert ds.get_data_info(0)['img_path'].startswith(images)
    assert ds.serialize_data is False
    again = pickle.loads(pickle.dumps(ds))  # a spawned worker's copy
    assert again.get_data_info(3) == ds.get_data_info(3)
    sub = ds.get_subset([4, 1])
    assert sub.get_data_info(0)['img_id'] == ds.get_data_info(4)['img_id']
    assert len(ds.get_subset(3)) == 3
    loader = torch.utils.data.DataLoader(
        ds,
        batch_size=None,
        num_workers=2,
        collate_fn=lambda x: x,
        multiprocessing_context='fork')
    got = [d['img_id'] for d in loader]
    assert got == [ds.get_data_info(i)['img_id'] for i in range(len(ds))]


def test_no_image_left_is_a_typed_error_before_training(labels, tmp_path):
    store = labels[0]
    with DefaultScope.overwrite_default_scope('mmcasp'):
        with pytest.raises(EmptyDatasetError, match='leaves no image'):
            PseudoLabelDataset(store=store, filter_cfg=dict(min_size=1000))
    cfg = Config(
        dict(
            default_scope='mmcasp',
            train_dataloader=dict(
                dataset=dict(
                    type='PseudoLabelDataset',
                    store=store,
                    filter_cfg=dict(filter_empty_gt=True, min_size=1000),
                    pipeline=[]))))
    with pytest.raises(DatasetCheckError) as e:
        check_datasets(
            cfg, ['train_dataloader'], train_loaders=['train_dataloader'])
    assert store in str(e.value) and 'leaves no image' in str(e.value)
    # a missing store and a broken one are named too
    cfg.train_dataloader.dataset.store = str(tmp_path / 'nope')
    with pytest.raises(
            DatasetCheckError, match='label store .*nope does '
            'not exist'):
        check_datasets(
            cfg, ['train_dataloader'], train_loaders=['train_dataloader'])
    broken = tmp_path / 'broken'
    (broken / 'data').mkdir(parents=True)
    json.dump(
        dict(format='mmcasp-label-store', format_version=0),
        open(broken / 'manifest.json', 'w'))
    cfg.train_dataloader.dataset.store = str(broken)
    with pytest.raises(DatasetCheckError, match='format version 0'):
        check_datasets(
            cfg, ['train_dataloader'], train_loaders=['train_dataloader'])
    with DefaultScope.overwrite_default_scope('mmcasp'):
        with pytest.raises(
                LabelStoreError, match=osp.join('broken', 'manifest.json')):
            PseudoLabelDataset(store=str(broken))

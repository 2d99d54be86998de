# Copyright (c) mmcasp contributors. All rights reserved.
"""The label store's library: records, build, export, import, checks.

Hand-made records (tests/_label_records.py) with real RLE masks: the store
holds exactly what the COCO path writes for them, whatever the split of
the records into files, duplicates or cut lines; bad stores end in typed
errors naming the file, and the checks change nothing."""
import hashlib
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest

import mmcasp.pseudo_labels.label_store as ls
from mmcasp.pseudo_labels import RecordWriter, build_pseudo_coco
from mmcasp.pseudo_labels.labeling_loop import assigned_rows, parse_part
from mmcasp.utils import InputFileError
from tests._label_records import CATEGORIES, make_records, write_records

INFO = dict(labeler='hand-made', delta=0.2, date_created='2024-01-01T00:00')


def store_content(store):
    """What must not depend on how a store was made: data files, index
    files, manifest but for ``run`` and ``info.date_created``."""
    out = {}
    for sub in ('data', 'index'):
        for name in sorted(os.listdir(osp.join(store, sub))):
            with open(osp.join(store, sub, name), 'rb') as f:
                out[f'{sub}/{name}'] = f.read()
    manifest = json.load(open(osp.join(store, 'manifest.json')))
    manifest.pop('run')
    manifest['info'].pop('date_created', None)
    out['manifest'] = manifest
    return out


def _digests(folder):
    out = {}
    for dp, _, fs in os.walk(folder):
        for f in fs:
            with open(osp.join(dp, f), 'rb') as fh:
                out[osp.join(dp, f)] = hashlib.sha1(fh.read()).hexdigest()
    return out


@pytest.fixture
def records():
    return make_records(24, seed=1)


def _build(tmp_path, records, name='store', files=1, **kw):
    rec_dir = tmp_path / f'{name}-records'
    rec_dir.mkdir()
    write_records(str(rec_dir), records, files=files, seed=len(name))
    store = str(tmp_path / name)
    kw.setdefault('images_per_file', 5)
    ls.build_store(str(rec_dir), store, info=dict(INFO), **kw)
    return store


def test_store_holds_what_the_coco_file_holds(tmp_path, records):
    store = _build(tmp_path, records, files=3)
    coco, stats = build_pseudo_coco(records, CATEGORIES, dict(INFO))
    out = str(tmp_path / 'export.json')
    ls.export_coco(store, out)
    exported = json.load(open(out))
    assert exported['images'] == coco['images']
    assert exported['annotations'] == coco['annotations']
    assert exported['categories'] == CATEGORIES
    dropped = exported['info']['stats'].pop('dropped_predictions')
    assert exported['info'] == coco['info']
    assert dropped == {
        'below_delta':
        sum(r.get('dropped', {}).get('below_delta', 0) for r in records)
    }
    # the export is what json.dump writes for the same dict
    text = open(out).read()
    assert text == json.dumps(
        dict(
            exported,
            info=dict(
                exported['info'],
                stats=dict(
                    exported['info']['stats'], dropped_predictions=dropped))))
    assert ls.coco_dict(store)['annotations'] == coco['annotations']
    assert ls.coco_dict(store, 2)['images'] == coco['images'][:2]
    labels = ls.LabelStore(store)
    assert len(labels) == stats['images_kept'] == len(coco['images'])
    assert labels.index.id.tolist() == [i['id'] for i in coco['images']]
    assert [labels.index.file_name(r) for r in range(len(labels))
            ] == [i['file_name'] for i in coco['images']]
    assert labels.manifest['images'] == len(coco['images'])
    assert len(labels.manifest['data_files']) == -(-len(labels) // 5)
    assert ls.verify_store(store)['labels'] == len(coco['annotations'])


def test_store_does_not_depend_on_files_duplicates_or_cut_lines(
        tmp_path, records):
    one = store_content(_build(tmp_path, records, 'one', files=1))
    four = store_content(_build(tmp_path, records, 'four', files=4))
    assert one == four
    # a resumed run: some records written twice (the later wins), a cut
    # line, and a record superseded by a corrected one
    rec_dir = tmp_path / 'resumed-records'
    rec_dir.mkdir()
    paths = write_records(str(rec_dir), records[:12], files=2)
    wrong = dict(records[3], instances=[])
    with RecordWriter(paths[0]) as w:  # cuts nothing: ends with a newline
        w.write(wrong)
    with open(paths[0], 'a') as f:
        f.write('{"id": 999, "file_name": "cut.png", "hei')
    with RecordWriter(paths[0]) as w:  # cuts the partial line
        for rec in records[2:]:
            w.write(rec)
    assert 999 not in list(ls.iter_record_ids(paths[0]))
    store = str(tmp_path / 'resumed')
    ls.build_store(str(rec_dir), store, info=dict(INFO), images_per_file=5)
    assert store_content(store) == one
    assert ls.LabelStore(store).manifest['run']['duplicate_records'] == 11


def test_last_complete_record_of_an_image_wins(tmp_path, records):
    path = str(tmp_path / 'r.jsonl')
    first, second = records[0], dict(records[0], instances=[])
    with RecordWriter(path) as w:
        w.write(first)
        w.write(records[1])
        w.write(second)
    locs = ls.locate_records([path])
    assert locs.ids.tolist() == [records[0]['id'], records[1]['id']]
    assert locs.line_no.tolist() == [3, 2] and locs.duplicates == 1


def test_writer_cuts_a_long_partial_line_reading_the_tail(tmp_path):
    path = str(tmp_path / 'r.jsonl')
    with RecordWriter(path) as w:
        w.write(dict(id=1, file_name='a.png', skipped='missing'))
    with open(path, 'a') as f:  # a cut line longer than a tail block
        f.write('{"id": 2, "x": "' + 'a' * (3 * ls.TAIL_BLOCK))
    size = osp.getsize(path)
    assert ls.drop_partial_tail(path) == size - len(open(path).readline())
    with RecordWriter(path) as w:
        w.write(dict(id=2, file_name='b.png', skipped='missing'))
    assert list(ls.iter_record_ids(path)) == [1, 2]


def test_wanted_images_without_records_are_an_error(tmp_path, records):
    rec_dir = tmp_path / 'r'
    rec_dir.mkdir()
    write_records(str(rec_dir), records[:5])
    wanted = [r['id'] for r in records[:6]]
    with pytest.raises(ls.IncompleteRecordsError, match='1 of 6 images'):
        ls.build_store(str(rec_dir), str(tmp_path / 's'), wanted_ids=wanted)
    # records of images not wanted are left out
    ls.build_store(str(rec_dir), str(tmp_path / 's'), wanted_ids=wanted[:3])
    assert ls.LabelStore(str(tmp_path / 's')).stats['images_in'] == 3


def test_bad_records_name_the_file_and_line(tmp_path, records):
    rec_dir = tmp_path / 'r'
    rec_dir.mkdir()
    path = write_records(str(rec_dir), records[:4])[0]
    lines = open(path).read().splitlines(True)
    with open(path, 'w') as f:
        f.writelines(lines[:2] + ['{"id": 5, not json}\n'] + lines[2:])
    with pytest.raises(
            ls.RecordError, match=r'shard-000.jsonl, line 3: not '
            'valid JSON'):
        ls.build_store(str(rec_dir), str(tmp_path / 's'))
    with open(path, 'w') as f:
        bad = dict(
            records[0],
            instances=[dict(records[0]['instances'][0], category_id=7)])
        f.writelines([json.dumps(bad) + '\n'])
    with pytest.raises(ls.RecordError, match='line 1 .* "category_id" 7'):
        ls.build_store(str(rec_dir), str(tmp_path / 's'))
    with pytest.raises(ls.LabelStoreError, match='no \\*.jsonl'):
        ls.build_store(str(tmp_path / 's'), str(tmp_path / 's2'))


def _break(store, how):
    data = osp.join(store, 'data', 'labels-00001.jsonl')
    if how == 'missing data file':
        os.remove(data)
    elif how == 'truncated data file':
        os.truncate(data, osp.getsize(data) - 10)
    elif how == 'index past the end':
        path = osp.join(store, 'index', 'offset.npy')
        offsets = np.load(path)
        offsets[-1] += 10_000
        np.save(path, offsets)
    elif how == 'other format version':
        path = osp.join(store, 'manifest.json')
        m = json.load(open(path))
        m['format_version'] = 99
        json.dump(m, open(path, 'w'))
    elif how == 'unfinished':
        os.remove(osp.join(store, 'manifest.json'))
    elif how == 'missing index file':
        os.remove(osp.join(store, 'index', 'label_count.npy'))
    return data


@pytest.mark.parametrize('how, error, names', [
    ('missing data file', ls.StoreCorruptError, 'labels-00001.jsonl'),
    ('truncated data file', ls.StoreCorruptError, 'labels-00001.jsonl'),
    ('index past the end', ls.StoreCorruptError, 'labels-0000'),
    ('other format version', ls.StoreVersionError, 'manifest.json'),
    ('unfinished', ls.StoreNotFoundError, 'manifest.json'),
    ('missing index file', ls.StoreCorruptError, 'label_count.npy'),
])
def test_broken_stores_are_typed_errors_and_left_alone(tmp_path, records, how,
                                                       error, names):
    store = _build(tmp_path, records)
    _break(store, how)
    before = _digests(store)
    for check in (ls.check_store, ls.LabelStore, ls.verify_store):
        with pytest.raises(error, match=names) as e:
            check(store)
        assert isinstance(e.value, InputFileError)
    assert _digests(store) == before


def test_a_record_changed_in_place_is_found(tmp_path, records):
    store = _build(tmp_path, records)
    data = osp.join(store, 'data', 'labels-00000.jsonl')
    raw = bytearray(open(data, 'rb').read())
    raw[1] = ord('X')  # same size: only reading the record finds it
    open(data, 'wb').write(bytes(raw))
    labels = ls.LabelStore(store)  # the cheap check passes
    with pytest.raises(ls.RecordError, match='labels-00000.jsonl, at byte 0'):
        labels.record(0)
    with pytest.raises(ls.RecordError, match='labels-00000.jsonl, line 1'):
        ls.verify_store(store)


def test_import_then_export_gives_the_file_back(tmp_path, records):
    coco, _ = build_pseudo_coco(records, CATEGORIES, dict(INFO))
    coco['images'].append(dict(id=1000, file_name='e.png', height=9, width=9))
    path = str(tmp_path / 'in.json')
    json.dump(coco, open(path, 'w'))
    store = str(tmp_path / 'imported')
    manifest = ls.import_coco(path, store)
    assert manifest['images'] == len(coco['images'])
    out = str(tmp_path / 'out.json')
    ls.export_coco(store, out)
    back = json.load(open(out))
    assert back['images'] == coco['images']
    assert back['annotations'] == coco['annotations']
    with pytest.raises(ls.LabelStoreError, match='already holds records'):
        ls.import_coco(path, store)
    del coco['annotations'][0]['score']
    json.dump(coco, open(path, 'w'))
    with pytest.raises(ls.LabelStoreError, match='has no "score"'):
        ls.import_coco(path, str(tmp_path / 'other'))


def _sidecar(folder, records, tag, part, info=INFO):
    settings = dict(
        categories=CATEGORIES, info=info, refused={}, drop_empty=True)
    ids = np.array([r['id'] for r in records])
    ls.write_sidecar(folder, tag, ids, settings, 0, 1, part, len(ids), 1.0)


def test_parts_join_only_when_all_are_done_and_alike(tmp_path, records):
    rec_dir = str(tmp_path / 'r')
    os.makedirs(rec_dir)
    halves = records[:12], records[12:]
    write_records(rec_dir, halves[0])
    _sidecar(rec_dir, halves[0], 'part-000-of-002', (0, 2))
    with pytest.raises(ls.IncompleteRecordsError, match='parts 1/2'):
        ls.build_store(rec_dir, str(tmp_path / 's'))
    with RecordWriter(osp.join(rec_dir, 'part1.jsonl')) as w:
        for rec in halves[1][:-1]:
            w.write(rec)
    _sidecar(rec_dir, halves[1], 'part-001-of-002', (1, 2))
    # the second part's last image has no record yet
    with pytest.raises(ls.IncompleteRecordsError, match='1 of 24 images'):
        ls.build_store(rec_dir, str(tmp_path / 's'))
    with RecordWriter(osp.join(rec_dir, 'part1.jsonl')) as w:
        w.write(halves[1][-1])
    manifest = ls.build_store(rec_dir, str(tmp_path / 's'))
    assert manifest['info']['labeler'] == 'hand-made'
    assert manifest['run']['parts'] == 2
    _sidecar(rec_dir, halves[1], 'part-001-of-002', (1, 2),
             dict(INFO, delta=0.3))
    with pytest.raises(ls.LabelStoreError, match='differ in info.delta'):
        ls.build_store(rec_dir, str(tmp_path / 's'))


def test_a_store_without_any_label(tmp_path):
    recs = [dict(id=1, file_name='a.png', height=5, width=5, instances=[])]
    store = _build(tmp_path, recs)
    labels = ls.LabelStore(store)
    assert len(labels) == 0 and labels.stats['images_empty_dropped'] == 1
    ls.export_coco(store, str(tmp_path / 'e.json'))
    assert json.load(open(tmp_path / 'e.json'))['images'] == []
    shutil.rmtree(store)


def test_record_problems_are_named(records):
    good = records[0]
    assert ls.record_problem(good, {1}) == ''
    ins = good['instances'][0]
    bad = {
        'string in box': dict(ins, bbox=['1', 2, 3, 4]),
        'negative width': dict(ins, bbox=[1, 2, -3, 4]),
        'nan score': dict(ins, score=float('nan')),
        'other category': dict(ins, category_id=3),
        'rle without size': dict(ins, segmentation=dict(counts='ab')),
    }
    for what, wrong in bad.items():
        rec = dict(good, instances=[wrong])
        assert ls.record_problem(rec, {1}).startswith('instances[0]'), what
    assert 'height' in ls.record_problem(dict(good, height=0), {1})
    assert ls.record_problem(dict(id=3, file_name='a',
                                  skipped='missing')) == ''


def test_every_entry_is_one_process_s_once():
    for n, batch in ((0, 2), (1, 8), (17, 2), (40, 3)):
        for parts in (None, (0, 1), (1, 3)):
            jobs = [parts] if parts is None else [(i, parts[1])
                                                  for i in range(parts[1])]
            for world in (1, 2, 3):
                rows = np.concatenate([
                    assigned_rows(n, batch, r, world, p) for p in jobs
                    for r in range(world)
                ])
                assert sorted(rows.tolist()) == list(range(n))
    # chunks are whole batches: a part's images share their batches
    assert assigned_rows(10, 2, 0, 1, (1, 2)).tolist() == [2, 3, 6, 7]
    assert parse_part('1/4') == (1, 4) and parse_part(None) is None
    for bad in ('4/4', '-1/4', 'a/b', '3'):
        with pytest.raises(ValueError, match='--part'):
            parse_part(bad)

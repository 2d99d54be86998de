# Copyright (c) mmcasp contributors. All rights reserved.
"""Nothing is silently left out of a labeling run (issue 28).

Every entry an image source lists is accounted for in the output file's
statistics (``images_listed = kept + dropped empty + skipped``, refusals at
listing time included), the tools say what a source holds before any model
loads, a run that keeps no image says so and exits non-zero, and the
quality tool refuses comparisons whose numbers would mean nothing.

The tool tests label with a stand-in detector whose predictions are known
by construction (the box head's classification and centerness layers give
objectness sigmoid(-8) = 0.0003 on every image, far below any δ), so that
they do not depend on where a briefly trained model's scores fall.
"""
import json
import os
import os.path as osp
import shutil
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcasp.datasets import (LISTING_SKIP_REASONS, SKIP_REASONS,
                             ImageSourceError, SkipCounts, collect_images,
                             describe_images)
from mmcasp.pseudo_labels import (ComparisonError, build_pseudo_coco,
                                  check_comparable, empty_result_message,
                                  format_stats, match_images,
                                  run_pseudo_labeling)
from mmcasp.registry import MODELS
from mmcasp.utils import register_all_modules
from tests._helpers import REPO_ROOT, TINY_CONFIG
from tests.test_pseudo_labels.test_tools import _run

TOOLS = osp.join(REPO_ROOT, 'tools')
#: objectness sigmoid(-8) = 0.0003: no prediction passes any useful δ
NOTHING_PASSES = -8.0


def _img(path, h=20, w=30, value=120):
    os.makedirs(osp.dirname(str(path)), exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))


def _accounted(stats):
    return stats['images_listed'] == (
        stats['images_kept'] + stats['images_empty_dropped'] +
        sum(stats['images_skipped'].values()))


# ------------------------------------------------------------- listing


def test_folder_walk_counts_every_file_it_does_not_list(tmp_path):
    root = tmp_path / 'imgs'
    _img(root / 'a' / '1.png')
    _img(root / 'a' / '2.jpg')
    _img(root / 'top.PNG')
    (root / 'anim.gif').write_bytes(b'GIF89a' + bytes(64))
    (root / 'photo.heic').write_bytes(bytes(16))
    (root / '.DS_Store').write_bytes(bytes(8))
    (root / 'a' / 'Thumbs.db').write_bytes(bytes(8))
    (root / 'a' / 'meta.json').write_text('{}')
    (root / 'README').write_text('images of a')
    os.symlink(str(tmp_path / 'nowhere.png'), str(root / 'gone.png'))
    (tmp_path / 'elsewhere').mkdir()
    _img(tmp_path / 'elsewhere' / 'x.png')
    os.symlink(str(tmp_path / 'elsewhere'), str(root / 'linked'))

    entries, skipped, _ = collect_images(str(root))
    assert [e['file_name'] for e in entries
            ] == [osp.join('a', '1.png'),
                  osp.join('a', '2.jpg'), 'top.PNG']
    assert isinstance(skipped, SkipCounts)
    assert skipped == {
        'unsupported_extension': 2,
        'other_file': 4,
        'broken_link': 1,
        'linked_folder': 1
    }
    assert set(skipped) <= set(LISTING_SKIP_REASONS) <= set(SKIP_REASONS)
    assert skipped.examples['unsupported_extension'] == [
        'anim.gif', 'photo.heic'
    ]
    assert skipped.examples['broken_link'] == ['gone.png']
    assert skipped.examples['linked_folder'] == ['linked']
    # at most SkipCounts.max_examples names per reason
    assert len(skipped.examples['other_file']) == SkipCounts.max_examples


@pytest.mark.skipif(
    not hasattr(os, 'geteuid') or os.geteuid() == 0,
    reason='root reads any folder')
def test_folder_walk_counts_a_folder_it_cannot_list(tmp_path):
    root = tmp_path / 'imgs'
    _img(root / 'ok.png')
    _img(root / 'locked' / 'x.png')
    os.chmod(str(root / 'locked'), 0)
    try:
        entries, skipped, _ = collect_images(str(root))
    finally:
        os.chmod(str(root / 'locked'), 0o755)
    assert [e['file_name'] for e in entries] == ['ok.png']
    assert skipped == {'unreadable_folder': 1}


def test_a_folder_the_walk_cannot_list_is_counted(tmp_path, monkeypatch):
    """As above, on any user: listing ``locked`` fails as it would without
    the permission."""
    root = tmp_path / 'imgs'
    _img(root / 'ok.png')
    _img(root / 'locked' / 'x.png')
    scandir = os.scandir

    def refuse_locked(path='.'):
        if osp.basename(str(path)) == 'locked':
            raise PermissionError(13, 'Permission denied', str(path))
        return scandir(path)

    monkeypatch.setattr(os, 'scandir', refuse_locked)
    entries, skipped, _ = collect_images(str(root))
    assert [e['file_name'] for e in entries] == ['ok.png']
    assert skipped == {'unreadable_folder': 1}
    assert skipped.examples['unreadable_folder'] == ['locked']


def test_json_and_list_sources_count_refusals_by_reason(tmp_path):
    _img(tmp_path / 'imgs' / 'a.png')
    os.symlink(
        str(tmp_path / 'nowhere.png'), str(tmp_path / 'imgs' / 'gone.png'))
    src = tmp_path / 'src.json'
    src.write_text(
        json.dumps(
            dict(images=[
                dict(id=1, file_name='a.png'),
                dict(id=2, file_name='./a.png'),
                dict(id=3, file_name='missing.png'),
                dict(id=4, file_name='gone.png')
            ])))
    entries, skipped, _ = collect_images(str(src), str(tmp_path / 'imgs'))
    assert [e['id'] for e in entries] == [1]
    assert skipped == {'duplicate': 1, 'missing': 1, 'broken_link': 1}
    assert skipped.examples['missing'] == ['missing.png']


def test_a_folder_without_images_says_what_it_holds(tmp_path):
    (tmp_path / 'gifs').mkdir()
    (tmp_path / 'gifs' / 'a.gif').write_bytes(b'GIF89a')
    with pytest.raises(ImageSourceError) as err:
        collect_images(str(tmp_path / 'gifs'))
    msg = str(err.value)
    assert 'no readable image' in msg and 'unsupported_extension 1' in msg
    assert 'a.gif' in msg and '.png' in msg


def test_describe_images_shows_folders_names_and_refusals(toy_root):
    """The wrong folder of the issue: the toy data's annotations (panoptic
    label PNGs and json files) instead of its images."""
    source = osp.join(toy_root, 'annotations')
    entries, skipped, root = collect_images(source)
    text = describe_images(entries, skipped, source, root)
    lines = text.splitlines()
    assert lines[0] == (f'image source {source} (a folder, searched '
                        f'recursively): {len(entries)} images to label')
    assert lines[1].split()[:3] == [
        'panoptic_labeled/', '16',
        osp.join('panoptic_labeled', '000001.png') + ','
    ]
    assert lines[1].endswith(', ...')
    assert [ln.split()[0]
            for ln in lines[2:4]] == ['panoptic_unlabeled/', 'panoptic_val/']
    assert lines[-1].startswith(f'not labeled: {sum(skipped.values())} '
                                '(other_file ')
    assert 'entities_labeled.json, entities_unlabeled.json' in lines[-1]


def test_describe_images_of_a_json_source_and_many_folders(tmp_path):
    entries = [
        dict(id=i, file_name=osp.join(f'd{i % 12:02d}', f'{i}.png'))
        for i in range(24)
    ] + [dict(id=99, file_name='top.png')]
    skipped = SkipCounts(missing=2)  # no names: counts only
    text = describe_images(
        entries, skipped, 'x.json', '/data/images', max_folders=3, max_names=1)
    lines = text.splitlines()
    assert lines[0] == ('image source x.json (a COCO json; image root '
                        '/data/images): 25 images to label')
    assert lines[1].split() == [
        'd00/', '2', osp.join('d00', '0.png') + ',', '...'
    ]
    assert lines[4] == '  ... 10 more folders: 19 images'
    assert lines[5] == 'not labeled: 2 (missing 2)'
    one = describe_images([dict(id=1, file_name='a.png')], {}, 'l.txt', '/r')
    assert one.splitlines() == [
        'image source l.txt (a text list; image root /r): 1 images to label',
        '  (top level)  1  a.png'
    ]


# ------------------------------------------------------------- statistics


def _records():
    return [
        dict(
            id=1,
            file_name='a.png',
            height=10,
            width=10,
            instances=[dict(bbox=[1, 1, 2, 2], score=0.5, category_id=1)]),
        dict(id=2, file_name='b.png', height=10, width=10, instances=[]),
        dict(id=3, file_name='c.png', skipped='truncated'),
    ]


def test_build_pseudo_coco_counts_refused_entries():
    cats = [dict(id=1, name='object')]
    _, stats = build_pseudo_coco(
        _records(),
        cats, {},
        refused=dict(other_file=2, missing=1, duplicate=0))
    assert stats['images_listed'] == 6 and stats['images_in'] == 3
    assert stats['images_kept'] == 1 and stats['images_empty_dropped'] == 1
    # SKIP_REASONS' order: listing-time reasons first
    assert list(stats['images_skipped'].items()) == [('missing', 1),
                                                     ('other_file', 2),
                                                     ('truncated', 1)]
    assert _accounted(stats)
    _, plain = build_pseudo_coco(_records(), cats, {})
    assert plain['images_listed'] == plain['images_in'] == 3
    assert _accounted(plain)
    _, kept_empty = build_pseudo_coco(
        _records(), cats, {}, drop_empty=False, refused=dict(missing=1))
    assert kept_empty['images_kept'] == 2 and _accounted(kept_empty)
    with pytest.raises(ValueError, match="'gone'"):
        build_pseudo_coco(_records(), cats, {}, refused=dict(gone=1))


def _label_nothing(items):
    return [[] for _ in items]


def test_the_written_file_accounts_for_every_listed_entry(tmp_path):
    """One of two json entries is missing: the file says 2 listed, 1
    skipped (missing), not 1 image in."""
    _img(tmp_path / 'imgs' / 'a.png')
    src = tmp_path / 'src.json'
    src.write_text(
        json.dumps(
            dict(images=[
                dict(id=1, file_name='a.png'),
                dict(id=2, file_name='b.png')
            ])))
    entries, refused, _ = collect_images(str(src), str(tmp_path / 'imgs'))
    out = str(tmp_path / 'p.json')
    stats = run_pseudo_labeling(
        entries,
        _label_nothing,
        out,
        num_workers=0,
        show_progress=False,
        refused=refused)
    written = json.load(open(out))['info']['stats']
    assert {k: written[k] for k in stats if k != 'images_per_s'} == \
        {k: stats[k] for k in stats if k != 'images_per_s'}
    assert written['images_listed'] == 2 and written['images_in'] == 1
    assert written['images_skipped'] == {'missing': 1}
    assert written['images_empty_dropped'] == 1 and _accounted(written)
    lines = format_stats(written).splitlines()
    assert lines[0] == 'images in: 1 of 2 listed, kept: 0, dropped empty: 1'
    assert lines[1] == 'skipped: 1 (missing: 1)'


def test_format_stats_of_a_run_without_skips_and_an_old_file():
    _, stats = build_pseudo_coco(_records()[:2], [dict(id=1)], {})
    assert format_stats(stats).splitlines()[:2] == [
        'images in: 2 of 2 listed, kept: 1, dropped empty: 1', 'skipped: none'
    ]
    del stats['images_listed']  # a file written before the key existed
    assert format_stats(stats).startswith('images in: 2 of 2 listed')


def test_empty_result_message():
    cats = [dict(id=1)]
    _, some = build_pseudo_coco(_records(), cats, {})
    assert empty_result_message(some, 'o.json', 'Do X.') is None
    _, none = build_pseudo_coco(
        _records()[1:], cats, {}, refused=dict(missing=1))
    none['dropped_predictions'] = dict(below_delta=7)
    msg = empty_result_message(none, 'o.json', 'Do X.')
    assert msg == (
        'no image kept: none of the 3 listed entries got a label (1 dropped '
        'empty, skipped: 2 (missing: 1, truncated: 1); predictions dropped: '
        '7 (below_delta: 7)); o.json was written anyway, without labels, so '
        'that its info.stats can be read. Do X.')
    assert '\n' not in msg
    _, kept = build_pseudo_coco(_records()[1:], cats, {}, drop_empty=False)
    msg = empty_result_message(kept, 'o.json', '')
    assert msg.startswith('no label made: the 1 kept images (of 2 listed) '
                          'have no label')
    assert msg.endswith('can be read.')


# ------------------------------------------------------------- quality


def _coco(ids, names=None, anns=()):
    names = names or [f'{i:06d}.png' for i in ids]
    return dict(
        images=[dict(id=i, file_name=n) for i, n in zip(ids, names)],
        annotations=[
            dict(id=k + 1, image_id=i, bbox=[0, 0, 4, 4], category_id=1, **a)
            for k, (i, a) in enumerate(anns)
        ],
        categories=[dict(id=1, name='object')])


def test_match_images_pairs_by_id_and_compares_base_names():
    pseudo = _coco([1, 2, 3], ['a/x.png', 'b.png', 'c.png'])
    gt = _coco([1, 2, 4], ['x.png', 'z.png', 'd.png'])
    m = match_images(pseudo, gt)
    assert (m['shared'], m['pseudo_only'], m['gt_only']) == (2, 1, 1)
    assert m['renamed'] == 1
    assert m['renamed_examples'] == [(2, 'b.png', 'z.png')]


def test_check_comparable_refuses_meaningless_comparisons():
    pseudo = _coco([1, 2], anns=[(1, {}), (2, {})])
    with pytest.raises(ComparisonError, match='gt.json has no annotations'):
        check_comparable(pseudo, _coco([1, 2]), 'p.json', 'gt.json')
    crowd = _coco([1, 2], anns=[(1, dict(iscrowd=1))])
    with pytest.raises(ComparisonError, match='only crowd regions'):
        check_comparable(pseudo, crowd, 'p.json', 'gt.json')
    elsewhere = _coco([25, 26], anns=[(25, {})])
    with pytest.raises(
            ComparisonError,
            match=r'p.json \(ids 1..2\) is an image of the ground-truth '
            r'file gt.json \(ids 25..26\)'):
        check_comparable(pseudo, elsewhere, 'p.json', 'gt.json')
    renamed = _coco([1, 2], ['000025.png', '000026.png'], anns=[(1, {})])
    with pytest.raises(
            ComparisonError,
            match='2 of 2 shared ids, e.g. id 1: 000001.png vs 000025.png'):
        check_comparable(pseudo, renamed, 'p.json', 'gt.json')
    gt = _coco([1, 2, 3], anns=[(1, {}), (3, {})])
    assert check_comparable(pseudo, gt, 'p.json', 'gt.json') == [
        '1 of 3 ground-truth images have no pseudo label (dropped empty, '
        'or not labeled): their boxes count as missed'
    ]
    more = _coco([1, 2, 9])
    assert check_comparable(more, gt, 'p.json', 'gt.json')[-1] == (
        '1 of 3 pseudo-labeled images are not in gt.json: their labels are '
        'not scored')
    assert check_comparable(_coco([]), gt, 'p.json', 'gt.json') == [
        'p.json keeps no image: every ground-truth box counts as missed'
    ]


def _error_line(proc):
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith('error: '), proc.stderr[-2000:]
    assert sum(ln.startswith('error: ') for ln in lines) == 1
    return lines[-1]


def test_eval_tool_refuses_ground_truth_it_cannot_score(toy_root, tmp_path):
    tool = osp.join(TOOLS, 'analysis_tools', 'eval_pseudo_labels.py')
    pseudo = _coco([5, 6], anns=[(5, {}), (6, {})])
    for a in pseudo['annotations']:
        a['score'] = 0.9
    p = tmp_path / 'pseudo.json'
    p.write_text(json.dumps(pseudo))
    images_only = osp.join(toy_root, 'annotations', 'unlabeled.json')
    line = _error_line(
        _run([sys.executable, tool, str(p), images_only], check=False))
    assert f'ground-truth file {images_only} has no annotations' in line
    assert 'give the COCO file with the annotations' in line
    val = osp.join(toy_root, 'annotations', 'instances_val.json')
    line = _error_line(_run([sys.executable, tool, str(p), val], check=False))
    assert f'no image of the pseudo-label file {p}' in line
    assert '--images GT.json' in line
    # same ids, other files: what a folder walk's ids 1..N give
    walked = _coco([25, 26], anns=[(25, {})])
    for img in walked['images']:
        img['file_name'] = 'other_' + img['file_name']
    for a in walked['annotations']:
        a['score'] = 0.9
    p.write_text(json.dumps(walked))
    line = _error_line(_run([sys.executable, tool, str(p), val], check=False))
    assert 'give the same ids to different files' in line
    # comparable files: numbers, with a note on the unlabeled images
    gt = osp.join(toy_root, 'annotations', 'instances_unlabeled.json')
    first = json.load(open(gt))['images'][:2]
    labeled = _coco([i['id'] for i in first], [i['file_name'] for i in first],
                    anns=[(first[0]['id'], dict(score=0.9))])
    p.write_text(json.dumps(labeled))
    ok = _run([sys.executable, tool, str(p), gt])
    assert 'note: 6 of 8 ground-truth images have no pseudo label' in \
        ok.stdout
    assert 'bbox_AP' in ok.stdout


# ------------------------------------------------------------- tools


@pytest.fixture(scope='module')
def silent_checkpoint(tmp_path_factory):
    """The tiny CondInst with a fixed seed whose objectness is
    sigmoid(NOTHING_PASSES) everywhere: no image gets a label, on any
    machine and thread count."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TINY_CONFIG)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    with torch.no_grad():
        for conv in (model.bbox_head.conv_cls,
                     model.bbox_head.conv_centerness):
            conv.weight.zero_()
            conv.bias.fill_(NOTHING_PASSES)
    path = str(tmp_path_factory.mktemp('ckpt') / 'silent.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def _mixed_folder(toy_root, folder):
    """5 images in two sub-folders, a truncated PNG, a GIF, a broken link,
    two files that are not images."""
    val = osp.join(toy_root, 'images', 'val')
    names = sorted(os.listdir(val))
    os.makedirs(folder / 'a')
    os.makedirs(folder / 'b')
    for n in names[:3]:
        shutil.copy(osp.join(val, n), folder / 'a' / n)
    for n in names[3:5]:
        shutil.copy(osp.join(val, n), folder / 'b' / n)
    good = (folder / 'a' / names[0]).read_bytes()
    (folder / 'trunc.png').write_bytes(good[:200])
    (folder / 'anim.gif').write_bytes(b'GIF89a' + bytes(64))
    (folder / '.DS_Store').write_bytes(bytes(8))
    (folder / 'notes.json').write_text('{}')
    os.symlink(str(folder / 'nowhere.png'), str(folder / 'gone.png'))
    return names


def test_pseudo_label_tool_lists_accounts_and_stops_when_nothing_is_kept(
        silent_checkpoint, toy_root, tmp_path):
    folder = tmp_path / 'imgs'
    names = _mixed_folder(toy_root, folder)
    out = str(tmp_path / 'p.json')
    proc = _run([
        sys.executable,
        osp.join(TOOLS, 'pseudo_label.py'), TINY_CONFIG, silent_checkpoint,
        '--images',
        str(folder), '--out', out, '--num-workers', '0'
    ],
                check=False)
    line = _error_line(proc)
    assert line.startswith('error: no image kept: none of the 10 listed '
                           'entries got a label (5 dropped empty')
    assert f'{out} was written anyway' in line
    assert '--delta' in line and '--allow-empty' in line
    assert 'eval_pseudo_labels.py' in line
    # what was found, before the model loads
    listing = proc.stdout[:proc.stdout.index('images in:')]
    assert (f'image source {folder} (a folder, searched recursively): '
            '6 images to label') in listing
    assert f"  a/           3  a/{names[0]}, a/{names[1]}, a/{names[2]}" \
        in listing
    assert f'  b/           2  b/{names[3]}, b/{names[4]}' in listing
    assert '  (top level)  1  trunc.png' in listing
    assert ('not labeled: 4 (broken_link 1: gone.png; unsupported_extension '
            '1: anim.gif; other_file 2: .DS_Store, notes.json)') in listing
    # the file says where every listed entry went
    stats = json.load(open(out))['info']['stats']
    assert stats['images_listed'] == 10 and stats['images_in'] == 6
    assert stats['images_kept'] == 0 and stats['images_empty_dropped'] == 5
    assert stats['images_skipped'] == {
        'broken_link': 1,
        'unsupported_extension': 1,
        'other_file': 2,
        'truncated': 1
    }
    assert _accounted(stats)
    assert 'images in: 6 of 10 listed, kept: 0, dropped empty: 5' in \
        proc.stdout


def test_pseudo_label_tool_allow_empty_and_json_refusals(
        silent_checkpoint, toy_root, tmp_path):
    src = tmp_path / 'src.json'
    src.write_text(
        json.dumps(
            dict(images=[
                dict(id=25, file_name='000025.png'),
                dict(id=26, file_name='000026.png'),
                dict(id=27, file_name='000025.png'),
                dict(id=28, file_name='not-there.png')
            ])))
    out = str(tmp_path / 'p.json')
    proc = _run([
        sys.executable,
        osp.join(TOOLS, 'pseudo_label.py'), TINY_CONFIG, silent_checkpoint,
        '--images',
        str(src), '--image-root',
        osp.join(toy_root, 'images',
                 'val'), '--out', out, '--num-workers', '0', '--allow-empty'
    ])
    assert 'Traceback' not in proc.stderr
    assert 'warning: no image kept: none of the 4 listed entries' in \
        proc.stdout
    assert ('not labeled: 2 (duplicate 1: 000025.png; missing 1: '
            'not-there.png)') in proc.stdout
    stats = json.load(open(out))['info']['stats']
    assert stats['images_listed'] == 4 and stats['images_in'] == 2
    assert stats['images_skipped'] == {'duplicate': 1, 'missing': 1}
    assert stats['images_empty_dropped'] == 2 and _accounted(stats)


def test_cam_tool_lists_and_stops_when_no_label_is_made(toy_root, tmp_path):
    """No CAM box scores above 1 (scores are mean normalised activations):
    ``--min-score 1.01`` drops every box on any machine."""
    out = str(tmp_path / 'cam.json')
    images = osp.join(toy_root, 'images', 'val')
    proc = _run([
        sys.executable,
        osp.join(TOOLS, 'cam_pseudo_label.py'), '--images', images, '--out',
        out, '--scales', '96', '--no-flip', '--class-agnostic',
        '--num-workers', '0', '--min-score', '1.01'
    ],
                check=False)
    line = _error_line(proc)
    assert line.startswith('error: no image kept: none of the 8 listed '
                           'entries got a label (8 dropped empty')
    assert '--min-score (now 1.01)' in line and '--allow-empty' in line
    assert (f'image source {images} (a folder, searched recursively): '
            '8 images to label') in proc.stdout
    stats = json.load(open(out))['info']['stats']
    assert stats['images_listed'] == 8 and _accounted(stats)

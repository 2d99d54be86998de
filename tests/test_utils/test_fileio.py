# Copyright (c) mmcasp contributors. All rights reserved.
import os
import os.path as osp

from mmcasp.utils import link_or_copy


def test_link_or_copy_links_and_replaces(tmp_path):
    src = tmp_path / 'a.pth'
    src.write_text('weights')
    dst = str(tmp_path / 'sub' / 'a.pth')
    os.makedirs(osp.dirname(dst))
    assert link_or_copy(str(src), dst) == dst
    assert osp.samefile(src, dst)  # a hard link on one file system
    # an existing destination is replaced, and survives its source
    src2 = tmp_path / 'b.pth'
    src2.write_text('other weights')
    link_or_copy(str(src2), dst)
    os.remove(src2)
    assert open(dst).read() == 'other weights'
    assert sorted(os.listdir(osp.dirname(dst))) == ['a.pth']


def test_link_or_copy_copies_where_links_fail(tmp_path, monkeypatch):

    def no_link(src, dst):
        raise OSError('cross-device link')

    monkeypatch.setattr(os, 'link', no_link)
    src = tmp_path / 'a.pth'
    src.write_text('weights')
    dst = str(tmp_path / 'c.pth')
    link_or_copy(str(src), dst)
    assert not osp.samefile(src, dst)
    assert open(dst).read() == 'weights'

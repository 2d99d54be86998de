# Copyright (c) mmcasp contributors. All rights reserved.
"""The label store's format, measured: JSON lines + numpy offset index
(mmcasp's) against Parquet (pyarrow) and LMDB on the same records.

    python benchmarks/label_store_scale.py --images 1000000 \\
        --work /tmp/label_store_bench --phases pool synth --keep
    python benchmarks/label_store_formats.py \\
        --records /tmp/label_store_bench/n1000000/records \\
        --work /tmp/label_store_formats [--formats jsonl parquet lmdb]

Every candidate is built from the same record files (4 ranks' shards, as
labeling writes them) by the same first pass (each image's last complete
record, by id: :func:`~mmcasp.pseudo_labels.label_store.locate_records`),
then writes its container in image-id order with the records normalised
as the store keeps them:

* ``jsonl``: :func:`~mmcasp.pseudo_labels.label_store.build_store` (data
  files of JSON lines, numpy index with byte offsets, manifest);
* ``parquet``: one row per image (id, file name, height, width, label
  count, the instances as a JSON string), row groups of 1,000 images,
  snappy-compressed; a random read decodes the row group's ``instances``
  column and takes the row;
* ``lmdb``: the record's JSON under its image id (8 bytes, big-endian),
  plus the same numpy columns for lengths and filters (LMDB has none).

Parquet's random reads are slow (a row group is decoded per read): it
gets ``--slow-reads`` (1,000) of them, its workers as many each.

Measured in fresh processes: build wall and peak RSS growth, bytes on
disk, init (open, and the columns the dataset's filters need), 10,000
random reads (median, p99), and 2 DataLoader workers reading 10,000
random items each (RSS growth per worker). pyarrow and lmdb are not
mmcasp requirements: install them to run this (``pip install
'pyarrow<16' lmdb`` with numpy 1.x).
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from label_store_scale import Meter, _private_mb, _status, _uptime  # noqa

from mmcasp.utils import description  # noqa: E402

ROW_GROUP = 1000
FORMATS = ('jsonl', 'parquet', 'lmdb')


def parse_args():
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument('--records', required=True)
    parser.add_argument('--work', default='/tmp/label_store_formats')
    parser.add_argument('--formats', nargs='+', default=list(FORMATS))
    parser.add_argument('--reads', type=int, default=10_000)
    parser.add_argument(
        '--slow-reads',
        type=int,
        default=1_000,
        help='random reads for parquet (each decodes a row group)')
    parser.add_argument(
        '--jsonl-store',
        help='a store label_store_scale.py built from the same records '
        '(--keep): measured as the jsonl candidate without building it '
        'again (its build figures are in that run\'s results)')
    parser.add_argument('--keep', action='store_true')
    parser.add_argument('--run', nargs=2, help=argparse.SUPPRESS)
    return parser.parse_args()


def _sorted_records(records):
    """``(record, line)`` of each image's last record, in id order."""
    from mmcasp.pseudo_labels.label_store import (locate_records, record_files,
                                                  store_record)
    locs = locate_records(record_files(records))
    handles = {}
    for row in range(len(locs)):
        k = int(locs.file_no[row])
        f = handles.get(k) or handles.setdefault(k, open(locs.files[k], 'rb'))
        f.seek(int(locs.offset[row]))
        yield store_record(json.loads(f.read(int(locs.length[row]))))


def _columns(out, ids, heights, widths, counts):
    os.makedirs(out, exist_ok=True)
    for name, arr, dt in (('id', ids, 'i8'), ('height', heights, 'i4'),
                          ('width', widths, 'i4'), ('label_count', counts,
                                                    'i4')):
        np.save(osp.join(out, name + '.npy'), np.asarray(arr, dt))


def build(fmt, records, out):
    if fmt == 'jsonl':
        from mmcasp.pseudo_labels.label_store import build_store
        build_store(records, out)
    elif fmt == 'parquet':
        import pyarrow as pa
        import pyarrow.parquet as pq
        os.makedirs(out, exist_ok=True)
        schema = pa.schema([('id', pa.int64()), ('file_name', pa.string()),
                            ('height', pa.int32()), ('width', pa.int32()),
                            ('label_count', pa.int32()),
                            ('instances', pa.string())])
        writer = pq.ParquetWriter(
            osp.join(out, 'labels.parquet'), schema, compression='snappy')
        batch = {k: [] for k in schema.names}
        for rec in _sorted_records(records):
            for k in ('id', 'file_name', 'height', 'width'):
                batch[k].append(rec[k])
            batch['label_count'].append(len(rec['instances']))
            batch['instances'].append(json.dumps(rec['instances']))
            if len(batch['id']) == ROW_GROUP:
                writer.write_table(pa.table(batch, schema=schema))
                batch = {k: [] for k in schema.names}
        if batch['id']:
            writer.write_table(pa.table(batch, schema=schema))
        writer.close()
    else:
        import lmdb
        os.makedirs(out, exist_ok=True)
        env = lmdb.open(
            osp.join(out, 'labels.lmdb'), map_size=1 << 40, subdir=True)
        cols = ([], [], [], [])
        txn = env.begin(write=True)
        for n, rec in enumerate(_sorted_records(records), start=1):
            txn.put(rec['id'].to_bytes(8, 'big'), json.dumps(rec).encode())
            for c, v in zip(cols, (rec['id'], rec['height'], rec['width'],
                                   len(rec['instances']))):
                c.append(v)
            if n % 10_000 == 0:
                txn.commit()
                txn = env.begin(write=True)
        txn.commit()
        env.sync()
        env.close()
        _columns(osp.join(out, 'index'), *cols)


class Reader:
    """Opens a built candidate (init) and reads row ``i``'s record."""

    def __init__(self, fmt, out):
        self.fmt, self.out = fmt, out
        if fmt == 'jsonl':
            from mmcasp.pseudo_labels.label_store import LabelStore
            self.store = LabelStore(out)
            idx = self.store.index
            self.keep = np.flatnonzero(
                (np.asarray(idx.label_count) > 0)
                & (np.minimum(idx.height, idx.width) >= 4))
        elif fmt == 'parquet':
            import pyarrow.parquet as pq
            self.pf = pq.ParquetFile(osp.join(out, 'labels.parquet'))
            t = self.pf.read(columns=['height', 'width', 'label_count'])
            h, w, c = (
                t.column(k).to_numpy()
                for k in ('height', 'width', 'label_count'))
            self.keep = np.flatnonzero((c > 0) & (np.minimum(h, w) >= 4))
        else:
            self.env = None
            cols = {
                k: np.load(osp.join(out, 'index', k + '.npy'), mmap_mode='r')
                for k in ('id', 'height', 'width', 'label_count')
            }
            self.ids = cols['id']
            self.keep = np.flatnonzero(
                (np.asarray(cols['label_count']) > 0)
                & (np.minimum(cols['height'], cols['width']) >= 4))

    def __len__(self):
        return len(self.keep)

    def read(self, i):
        row = int(self.keep[i])
        if self.fmt == 'jsonl':
            return self.store.record(row)
        if self.fmt == 'parquet':
            g = self.pf.read_row_group(row // ROW_GROUP, columns=['instances'])
            return json.loads(g.column(0)[row % ROW_GROUP].as_py())
        if self.env is None or self.pid != os.getpid():
            import lmdb
            self.env = lmdb.open(
                osp.join(self.out, 'labels.lmdb'),
                readonly=True,
                lock=False,
                readahead=False)
            self.pid = os.getpid()
        with self.env.begin() as txn:
            return json.loads(txn.get(int(self.ids[row]).to_bytes(8, 'big')))

    def __getstate__(self):
        return dict(fmt=self.fmt, out=self.out)

    def __setstate__(self, state):
        self.__init__(state['fmt'], state['out'])


class _Reads:

    def __init__(self, reader, n):
        self.reader, self.n = reader, n
        self.idx = np.random.default_rng(1).integers(0, len(reader), n)

    def __len__(self):
        return self.n

    def __getitem__(self, k):
        import torch.utils.data
        self.reader.read(int(self.idx[k]))
        wid = torch.utils.data.get_worker_info().id
        if k < 2:
            return wid, _status('VmRSS'), _private_mb(), 'start'
        if k >= self.n - 2:
            return wid, _status('VmRSS'), _private_mb(), 'end'
        return wid, None, None, None


def run(fmt, phase, args):
    out = osp.join(args.work, fmt)
    if fmt == 'jsonl' and args.jsonl_store:
        out = args.jsonl_store
    if fmt == 'parquet':
        args.reads = min(args.reads, args.slow_reads)
    if phase == 'build':
        with Meter() as m:
            build(fmt, args.records, out)
        size = sum(
            osp.getsize(osp.join(dp, f)) for dp, _, fs in os.walk(out)
            for f in fs)
        return dict(wall_s=m.wall, cpu_s=m.cpu, rss_mb=m.peak, bytes=size)
    if phase == 'init':
        with Meter() as m:
            reader = Reader(fmt, out)
        return dict(
            wall_s=m.wall, cpu_s=m.cpu, rss_mb=m.peak, images=len(reader))
    reader = Reader(fmt, out)
    if phase == 'read':
        idx = np.random.default_rng(0).integers(0, len(reader), args.reads)
        times = np.zeros(len(idx))
        with Meter() as m:
            for k, i in enumerate(idx):
                t = time.perf_counter()
                reader.read(int(i))
                times[k] = time.perf_counter() - t
        return dict(
            rss_mb=m.peak,
            median_ms=float(np.median(times) * 1e3),
            p99_ms=float(np.percentile(times, 99) * 1e3))
    import torch
    loader = torch.utils.data.DataLoader(
        _Reads(reader, 2 * args.reads),
        batch_size=None,
        num_workers=2,
        collate_fn=lambda x: x)
    seen = {}
    for wid, rss, private, when in loader:
        if when:
            seen.setdefault(wid, {})[when] = (rss, private)
    return dict(
        worker_rss_growth_mb={
            w: v['end'][0] - v['start'][0]
            for w, v in sorted(seen.items())
        },
        worker_private_growth_mb={
            w: v['end'][1] - v['start'][1]
            for w, v in sorted(seen.items())
        })


def main():
    args = parse_args()
    if args.run:
        import torch  # noqa: F401

        import mmcasp.pseudo_labels  # noqa: F401  imports before any meter
        if args.run[0] == 'parquet':
            import pyarrow.parquet  # noqa: F401
        if args.run[0] == 'lmdb':
            import lmdb  # noqa: F401
        print(json.dumps(run(args.run[0], args.run[1], args)))
        return
    os.makedirs(args.work, exist_ok=True)
    results = {}
    for fmt in args.formats:
        results[fmt] = {}
        for phase in ('build', 'init', 'read', 'workers'):
            load = _uptime()
            if fmt == 'jsonl' and args.jsonl_store and phase == 'build':
                continue
            extra = ['--jsonl-store', args.jsonl_store] \
                if args.jsonl_store else []
            cmd = [
                sys.executable,
                osp.abspath(__file__), '--records', args.records, '--work',
                args.work, '--reads',
                str(args.reads), '--slow-reads',
                str(args.slow_reads), '--run', fmt, phase
            ] + extra
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                raise RuntimeError(proc.stderr[-3000:])
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            res.update(load_before=load, load_after=_uptime())
            results[fmt][phase] = res
            print(f'{fmt} {phase}: {json.dumps(res)}', flush=True)
            with open(osp.join(args.work, 'results.json'), 'w') as f:
                json.dump(results, f, indent=1)
        if not args.keep and osp.isdir(osp.join(args.work, fmt)):
            shutil.rmtree(osp.join(args.work, fmt))


if __name__ == '__main__':
    main()

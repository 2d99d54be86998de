# Copyright (c) mmcasp contributors. All rights reserved.
"""The label store: pseudo labels at any scale, in bounded memory.

Labeling appends one JSON line per image to its own record file (per rank
or independent job, resumable); a build turns the records into a store:
data files sorted by image id, a memory-mapped numpy index and a manifest
(see :mod:`.layout`). :class:`~mmcasp.datasets.PseudoLabelDataset` trains
on a store, reading one image's record per item; a COCO file is an export
for small sets and stock tools.
"""
from .build import DEFAULT_CATEGORIES, build_store, record_files
from .check import check_store, verify_store
from .errors import (IncompleteRecordsError, LabelStoreError, RecordError,
                     StoreCorruptError, StoreNotFoundError, StoreVersionError)
from .export import coco_dict, coco_info, export_coco
from .import_coco import import_coco
from .index import IndexWriter, StoreIndex
from .layout import (DATA_DIR, FORMAT, FORMAT_VERSION, INDEX_COLUMNS,
                     INDEX_DIR, MANIFEST, RECORDS_DIR, data_file_name,
                     is_store_path, record_file_name, run_tag)
from .manifest import read_manifest
from .reader import LabelStore
from .record_format import (coco_annotation, coco_annotations, coco_image,
                            record_problem, store_instance, store_record)
from .records import (TAIL_BLOCK, drop_partial_tail, iter_lines,
                      iter_record_ids, iter_records, parse_line)
from .scan import RecordLocations, locate_records
from .sidecars import RunSettings, merge_sidecars, write_sidecar
from .stats import LabelStats, format_stats, skip_counts
from .summary import describe_store
from .writer import RecordWriter

__all__ = [
    'DEFAULT_CATEGORIES', 'build_store', 'record_files', 'check_store',
    'verify_store', 'IncompleteRecordsError', 'LabelStoreError', 'RecordError',
    'StoreCorruptError', 'StoreNotFoundError', 'StoreVersionError',
    'coco_info', 'export_coco', 'coco_dict', 'import_coco', 'IndexWriter',
    'StoreIndex', 'DATA_DIR', 'FORMAT', 'FORMAT_VERSION', 'INDEX_COLUMNS',
    'INDEX_DIR', 'MANIFEST', 'RECORDS_DIR', 'data_file_name', 'is_store_path',
    'record_file_name', 'run_tag', 'read_manifest', 'LabelStore',
    'coco_annotation', 'coco_annotations', 'coco_image', 'record_problem',
    'store_instance', 'store_record', 'TAIL_BLOCK', 'drop_partial_tail',
    'iter_lines', 'iter_record_ids', 'iter_records', 'parse_line',
    'RecordLocations', 'locate_records', 'RunSettings', 'merge_sidecars',
    'write_sidecar', 'LabelStats', 'format_stats', 'skip_counts',
    'describe_store', 'RecordWriter'
]

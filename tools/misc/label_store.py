# Copyright (c) mmcasp contributors. All rights reserved.
"""Build, export, import, check and describe label stores (pseudo labels
at any scale; see docs/pseudo_labels.md).

Examples::

    # index a folder of *.jsonl record files (e.g. the records of
    # independent --part jobs of tools/pseudo_label.py) into a store
    python tools/misc/label_store.py build work_dirs/pseudo/store/records \\
        work_dirs/pseudo/store
    # the store as one COCO file (streamed: bounded memory)
    python tools/misc/label_store.py export work_dirs/pseudo/store out.json
    # a COCO pseudo-label file as a store
    python tools/misc/label_store.py import pseudo.json work_dirs/pseudo/st2
    # what a store holds; every record read back and checked
    python tools/misc/label_store.py stats work_dirs/pseudo/store
    python tools/misc/label_store.py check work_dirs/pseudo/store

Bad input (a missing, truncated or changed file, a record that is not
JSON, a manifest of another format version, parts not finished) ends with
one ``error:`` line naming the file, exit status 1; nothing in the store is
changed by ``stats``, ``check`` or ``export``.
"""
import argparse

from mmcasp.pseudo_labels.label_store import (build_store, describe_store,
                                              export_coco, import_coco,
                                              verify_store)
from mmcasp.utils import description, run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=description(__doc__))
    sub = parser.add_subparsers(dest='command', required=True)
    build = sub.add_parser(
        'build', help='index a folder of *.jsonl record files into a store')
    build.add_argument('records', help='folder of *.jsonl record files')
    build.add_argument('store', help='the store folder to (re)build')
    build.add_argument(
        '--images-per-file',
        type=int,
        default=None,
        help='images per data file (default: build_store\'s)')
    export = sub.add_parser('export', help='write the store as a COCO file')
    export.add_argument('store')
    export.add_argument('out', help='COCO .json file to write')
    imp = sub.add_parser('import', help='a COCO pseudo-label file as a store')
    imp.add_argument('coco', help='COCO .json file with scored annotations')
    imp.add_argument('store', help='a new store folder')
    stats = sub.add_parser('stats', help='what a store holds')
    stats.add_argument('store')
    check = sub.add_parser(
        'check', help='read every record back and check it (read-only)')
    check.add_argument('store')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.command == 'build':
        kwargs = {} if args.images_per_file is None else dict(
            images_per_file=args.images_per_file)
        manifest = build_store(
            args.records, args.store, show_progress=True, **kwargs)
        print(f'built {args.store}: {manifest["images"]} images, '
              f'{manifest["labels"]} labels, '
              f'{len(manifest["data_files"])} data files')
    elif args.command == 'export':
        manifest = export_coco(args.store, args.out, show_progress=True)
        print(f'wrote {args.out}: {manifest["images"]} images, '
              f'{manifest["labels"]} annotations')
    elif args.command == 'import':
        manifest = import_coco(args.coco, args.store)
        print(f'built {args.store} from {args.coco}: {manifest["images"]} '
              f'images, {manifest["labels"]} labels')
    elif args.command == 'stats':
        print(describe_store(args.store))
    else:
        manifest = verify_store(args.store)
        print(f'{args.store}: whole ({manifest["images"]} images, '
              f'{manifest["labels"]} labels, every record checked)')


if __name__ == '__main__':
    run_main(main)

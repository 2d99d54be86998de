# Copyright (c) mmcasp contributors. All rights reserved.
"""Transfer parts of a pretrained (e.g. CaSP warmed-up) checkpoint into the
model of a target config; write a checkpoint for ``load_from`` and a report.

Example::

    python tools/model_converters/transfer.py \
        work_dirs/warmup/epoch_12.pth \
        configs/transfer/retinanet-casp_r50_fpn_1x_coco.py \
        --parts backbone,neck,head --classifier replicate \
        --out work_dirs/retinanet_init.pth
    python tools/train.py \
        configs/transfer/retinanet-casp_r50_fpn_1x_coco.py --cfg-options \
        load_from=work_dirs/retinanet_init.pth model.init_cfg=None

The report (``<out>.transfer.json`` and a printed table) lists per part the
loaded, kept-fresh and unmapped keys. A shape mismatch inside a requested
part stops the tool and names the key.
"""
import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import DictAction

import mmcasp  # noqa: F401
from mmcasp.surgery import (PARTS, TransferError, build_target_model,
                            format_report, transfer_into_model)
from mmcasp.utils import (check_checkpoint, description, load_config,
                          merge_options, run_main)


def parse_args():
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst_config', help='config of the target model')
    parser.add_argument(
        '--parts',
        default='backbone,neck,head',
        help='comma-separated, of: ' +
        ', '.join(p for p in PARTS if p != 'classifier') +
        ' (two-stage sources and targets: rpn_head, roi_head, roi_mask_head'
        ' = all but the class-dependent last layers, as DAP finetunes)')
    parser.add_argument(
        '--classifier',
        default='random',
        choices=['random', 'replicate', 'copy'],
        help='target classifier: random (its own init, default), replicate '
        '(the class-agnostic source channel copied to every class) or copy '
        '(a source classifier with the same classes, as is)')
    parser.add_argument('--out', required=True, help='output checkpoint')
    parser.add_argument(
        '--src-prefix',
        default=None,
        help="wrapper prefix of the source keys ('' for none; default: "
        'auto, e.g. teacher. / ema_model.module. / module.)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the target config')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.dst_config)
    merge_options(cfg, args.cfg_options)
    parts = [p for p in args.parts.split(',') if p]
    check_checkpoint(args.src, 'source checkpoint')
    model, cfg = build_target_model(cfg)
    state, report = transfer_into_model(
        model,
        args.src,
        parts=parts,
        classifier=args.classifier,
        prefix=args.src_prefix)
    report.update(src=osp.abspath(args.src), dst_config=args.dst_config)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp'
    torch.save(
        dict(
            state_dict=state,
            meta=dict(
                transfer=dict(
                    src=report['src'], parts=parts,
                    classifier=args.classifier),
                cfg=cfg.pretty_text)), tmp)
    os.replace(tmp, args.out)
    with open(args.out + '.transfer.json', 'w') as f:
        json.dump(report, f, indent=1)
    print(format_report(report))
    print(f'wrote {args.out} and {args.out}.transfer.json')


if __name__ == '__main__':
    run_main(main, TransferError, KeyError)

# Copyright (c) mmcasp contributors. All rights reserved.
"""The papers' hyperparameters stay in the shipped configs.

``ROWS`` copies the rows of docs/recipes.md marked ✓ (value, config, dotted
key, where the paper states it; "not stated" rows hold our documented
choice). Each row loads its config with ``Config.fromfile`` (``_base_``
resolved) and checks the value, so a change cannot drift from the paper
silently. A key ``a.b@Transform.arg`` reads ``arg`` of the transform of type
``Transform`` in the pipeline list at ``a.b``; integer parts index lists.
"""
import inspect
import os.path as osp
import re

import pytest
from mmengine.config import Config

from tests._helpers import REPO_ROOT

CASP = 'configs/casp/casp_r50_fpn_5x-3x_coco.py'
CASP_SWIN = 'configs/casp/casp_swin-t_fpn_5x-3x_coco.py'
CASP_STRONG = 'configs/casp/casp_r50_fpn_strong-5x-3x_coco.py'
CASP_SHORT = 'configs/casp/casp_r50_fpn_3x-1x_coco.py'
LABELER = 'configs/condinst/condinst-ca_r50_fpn_ms-3x_coco-objects.py'
WARMUP = 'configs/condinst/condinst-ca_r50_fpn_ms-5x_coco-objects.py'
WARMUP_SWIN = 'configs/condinst/condinst-ca_swin-t_fpn_ms-5x_coco-objects.py'
WARMUP_STRONG = ('configs/condinst/'
                 'condinst-ca_r50_fpn_strong-5x_coco-objects.py')
FINETUNE = 'configs/transfer/condinst-casp_r50_fpn_ms-3x_coco.py'
FINETUNE_SWIN = 'configs/transfer/condinst-casp_swin-t_fpn_ms-3x_coco.py'
FINETUNE_STRONG = 'configs/transfer/condinst-casp_r50_fpn_strong-3x_coco.py'
DAP = 'configs/casp/dap-ca_effl0_fpn_3-10e_coco-mini.py'
DAP_TOY = 'configs/casp/dap_r18w16_fpn_toy-demo_toy.py'
DAP_PRETRAIN = 'configs/faster_rcnn/faster-rcnn_r50_fpn_dap-ms-1x_coco.py'
DAP_FINETUNE = 'configs/transfer/faster-rcnn-dap_r50_fpn_1x_coco.py'
DAP_VOC07 = 'configs/transfer/faster-rcnn-dap_r50_fpn_14e_voc07.py'
DAP_VOC0712 = 'configs/transfer/faster-rcnn-dap_r50_fpn_14e_voc0712.py'
DAP_ST = 'configs/faster_rcnn/faster-rcnn_r50_fpn_dap-st-2e_voc07-voc12.py'
# CaSP Table 2, one pipeline per row (COCO R-50, COCO Swin-T, toy)
CASP_GA = 'configs/casp/casp-ga_r50_fpn_3x-3x_coco.py'
CASP_GA_SWIN = 'configs/casp/casp-ga_swin-t_fpn_3x-3x_coco.py'
CASP_GA_TOY = 'configs/casp/casp-ga_r18w16_fpn_toy-demo_toy.py'
CASP_CS = 'configs/casp/casp-cs_r50_fpn_5x-3x_coco.py'
CASP_CS_SWIN = 'configs/casp/casp-cs_swin-t_fpn_5x-3x_coco.py'
CASP_CS_TOY = 'configs/casp/casp-cs_r18w16_fpn_toy-demo_toy.py'
CASP_ENT = 'configs/casp/casp-entities_r50_fpn_5x-3x_coco.py'
CASP_ENT_SWIN = 'configs/casp/casp-entities_swin-t_fpn_5x-3x_coco.py'
IMAGENET = 'configs/condinst/condinst_r50_fpn_ms-3x_coco.py'
IMAGENET_SWIN = 'configs/condinst/condinst_swin-t_fpn_ms-3x_coco.py'
CS_WARMUP = 'configs/condinst/condinst_r50_fpn_ms-5x_coco.py'
CS_WARMUP_SWIN = 'configs/condinst/condinst_swin-t_fpn_ms-5x_coco.py'
ENT_LABELER = 'configs/condinst/condinst-ca_r50_fpn_ms-3x_coco-entities.py'
ENT_WARMUP = 'configs/condinst/condinst-ca_r50_fpn_ms-5x_coco-entities.py'
ENT_WARMUP_SWIN = ('configs/condinst/'
                   'condinst-ca_swin-t_fpn_ms-5x_coco-entities.py')
LABELER_SWIN = 'configs/condinst/condinst-ca_swin-t_fpn_ms-3x_coco-objects.py'
EFFL0 = 'configs/condinst/condinst-ca_effl0_fpn_ms-1x_coco-objects.py'
# PreDet at the paper's scale
PREDET = 'configs/predet/predet_r50_fpn_540k_imagenet-labels.py'
PREDET_FT = 'configs/transfer/mask-rcnn-predet_r50_fpn_ms-1x_coco.py'

R50_IMAGENET = 'torchvision://resnet50'
SWIN_T_IMAGENET = ('https://github.com/SwinTransformer/storage/releases/'
                   'download/v1.0.0/swin_tiny_patch4_window7_224.pth')
INIT = 'model.backbone.init_cfg.checkpoint'

MS = 'train_dataloader.dataset.pipeline@RandomChoiceResize.scales'
MS_SCALES = [(1333, s) for s in range(640, 801, 32)]
PARTS = ['backbone', 'neck', 'head', 'mask_head']
NOT_STATED = 'not stated (mmdet default)'

# (value, config, dotted key, where the paper states it)
ROWS = [
    # CaSP / CA-SSL: model
    ('ClassAgnosticCondInst', LABELER, 'model.type', 'CaSP Sec. 3.4'),
    ('ClassAgnosticCondInst', WARMUP, 'model.type', 'CaSP Sec. 3.4'),
    ('CondInst', FINETUNE, 'model.type', 'CaSP Sec. 3.4'),
    (1, LABELER, 'model.bbox_head.num_classes', 'CaSP Sec. 3.1 Eq. 1'),
    (1, WARMUP, 'model.bbox_head.num_classes', 'CaSP Sec. 3.1 Eq. 4'),
    (80, FINETUNE, 'model.bbox_head.num_classes', 'CaSP Sec. 3.2'),
    ('DiceLoss', WARMUP, 'model.mask_head.loss_mask.type', 'CaSP Eq. 6'),
    ('SwinTransformer', WARMUP_SWIN, 'model.backbone.type',
     'CaSP Sec. 4 Implementation'),
    ('SwinTransformer', FINETUNE_SWIN, 'model.backbone.type',
     'CaSP Sec. 4 Implementation'),
    (96, FINETUNE_SWIN, 'model.backbone.embed_dims',
     'CaSP Sec. 4 Implementation (Swin-T)'),
    ([2, 2, 6, 2], FINETUNE_SWIN, 'model.backbone.depths',
     'CaSP Sec. 4 Implementation (Swin-T)'),
    ('SwinTransformer', 'configs/condinst/'
     'condinst-ca_swin-t_fpn_ms-3x_coco-objects.py', 'model.backbone.type',
     'CaSP Sec. 4 Implementation'),
    # CaSP: pipeline settings
    (0.2, CASP, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (0.2, CASP_SWIN, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (0.2, CASP_STRONG, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (0.2, CASP_SHORT, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (100, CASP, 'casp.pseudo.max_per_image', NOT_STATED),
    ('annotations/instances_train2017.json', CASP, 'casp.data.labeled.ann',
     'CaSP Sec. 4 Datasets'),
    ('annotations/image_info_unlabeled2017.json', CASP,
     'casp.data.unlabeled.ann', 'CaSP Sec. 4 Datasets (tiny)'),
    ('random', CASP, 'casp.finetune.classifier', 'CaSP Sec. 3.2'),
    (PARTS, CASP, 'casp.finetune.parts', 'CaSP Table 10'),
    (PARTS, CASP_SWIN, 'casp.finetune.parts', 'CaSP Table 10'),
    (LABELER, CASP, 'casp.labeler.config', NOT_STATED),
    (WARMUP, CASP, 'casp.warmup.config', 'CaSP Sec. 4, Table 4'),
    (FINETUNE, CASP, 'casp.finetune.config', 'CaSP Sec. 4, Table 4'),
    (WARMUP_SWIN, CASP_SWIN, 'casp.warmup.config', 'CaSP Sec. 4, Table 4'),
    (FINETUNE_SWIN, CASP_SWIN, 'casp.finetune.config', 'CaSP Sec. 4, Table 4'),
    (WARMUP_STRONG, CASP_STRONG, 'casp.warmup.config', 'CaSP Table 8'),
    (FINETUNE_STRONG, CASP_STRONG, 'casp.finetune.config', 'CaSP Table 8'),
    # CaSP: schedules (late pretraining / warmup 5x, finetune 3x)
    (36, LABELER, 'train_cfg.max_epochs', NOT_STATED),
    (60, WARMUP, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    (60, WARMUP_SWIN, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    (60, WARMUP_STRONG, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    (36, FINETUNE, 'train_cfg.max_epochs', 'CaSP Sec. 4, Table 4'),
    (36, FINETUNE_SWIN, 'train_cfg.max_epochs', 'CaSP Sec. 4, Table 4'),
    (36, FINETUNE_STRONG, 'train_cfg.max_epochs', 'CaSP Sec. 4, Table 4'),
    ([45, 55], WARMUP, 'param_scheduler.1.milestones', NOT_STATED),
    ([27, 33], FINETUNE, 'param_scheduler.1.milestones', NOT_STATED),
    # CaSP: augmentation (weak = multi-scale, strong = scale/colour jitter)
    (MS_SCALES, LABELER, MS, 'CaSP Sec. 4 (range: not stated)'),
    (MS_SCALES, WARMUP, MS, 'CaSP Sec. 4 (range: not stated)'),
    (MS_SCALES, WARMUP_SWIN, MS, 'CaSP Sec. 4 (range: not stated)'),
    (MS_SCALES, FINETUNE, MS, 'CaSP Sec. 4 (range: not stated)'),
    (MS_SCALES, FINETUNE_SWIN, MS, 'CaSP Sec. 4 (range: not stated)'),
    ((0.1, 2.0), WARMUP_STRONG,
     'train_dataloader.dataset.pipeline@RandomResize.ratio_range',
     'CaSP Sec. 4, Table 8'),
    ((0.1, 2.0), FINETUNE_STRONG,
     'train_dataloader.dataset.pipeline@RandomResize.ratio_range',
     'CaSP Sec. 4, Table 8'),
    ('PhotoMetricDistortion', WARMUP_STRONG,
     'train_dataloader.dataset.pipeline@PhotoMetricDistortion.type',
     'CaSP Sec. 4, Table 8'),
    ('PhotoMetricDistortion', FINETUNE_STRONG,
     'train_dataloader.dataset.pipeline@PhotoMetricDistortion.type',
     'CaSP Sec. 4, Table 8'),
    (True, WARMUP, 'train_dataloader.dataset.filter_cfg.filter_empty_gt',
     'CaSP Eq. 3'),
    # CaSP: optimiser (in the papers' supplement, not in our copies)
    ('SGD', FINETUNE, 'optim_wrapper.optimizer.type', NOT_STATED),
    (0.01, FINETUNE, 'optim_wrapper.optimizer.lr', NOT_STATED),
    (0.01, WARMUP, 'optim_wrapper.optimizer.lr', NOT_STATED),
    (2, FINETUNE, 'train_dataloader.batch_size', NOT_STATED + ', x8 GPUs'),
    (2, WARMUP, 'train_dataloader.batch_size', NOT_STATED + ', x8 GPUs'),
    (16, FINETUNE, 'auto_scale_lr.base_batch_size', NOT_STATED),
    ('AdamW', FINETUNE_SWIN, 'optim_wrapper.optimizer.type', NOT_STATED),
    (1e-4, FINETUNE_SWIN, 'optim_wrapper.optimizer.lr', NOT_STATED),
    (0.05, FINETUNE_SWIN, 'optim_wrapper.optimizer.weight_decay', NOT_STATED),
    (1e-4, WARMUP_SWIN, 'optim_wrapper.optimizer.lr', NOT_STATED),
    # DAP: the pipeline's CAM labeler and the finetune
    ([288, 576], DAP, 'casp.labeler.scales', 'DAP Sec. 4.1'),
    ('cam', DAP, 'casp.labeler.type', 'DAP Sec. 3.1 Step 2'),
    (1e-4, DAP_FINETUNE, 'optim_wrapper.optimizer.weight_decay',
     'DAP Sec. 4.1 (IN-1M)'),
    (12, DAP_FINETUNE, 'train_cfg.max_epochs', 'DAP Sec. 4.1 (90k it. = 1x)'),
    # DAP as the paper describes it: class-specific boxes of the image
    # labels, Faster R-CNN pretrained multi-scale from the classifier's
    # backbone, finetuned from all but the last layers
    (True, DAP_TOY, 'casp.pseudo.class_specific', 'DAP Sec. 3.1 Step 2'),
    (True, DAP_TOY, 'casp.labeler.init_backbone', 'DAP Sec. 3.1 Step 3'),
    ('FasterRCNN', DAP_PRETRAIN, 'model.type', 'DAP Sec. 3.2'),
    ([(1333, 96), (1333, 160), (1333, 320), (1333, 640)], DAP_PRETRAIN,
     'train_dataloader.dataset.pipeline@RandomChoiceResize.scales',
     'DAP Sec. 4.1'),
    ('torchvision://resnet50', DAP_PRETRAIN,
     'model.backbone.init_cfg.checkpoint',
     'DAP Sec. 4.1 (the IN-1M classifier is torchvision\'s)'),
    ('FasterRCNN', DAP_FINETUNE, 'model.type', 'DAP Sec. 3.2'),
    (['backbone', 'neck', 'rpn_head', 'roi_head'], DAP_FINETUNE,
     'model.init_cfg.parts', 'DAP Sec. 3.1 Step 4 (all but the last layers)'),
    (['backbone', 'neck', 'rpn_head', 'roi_head'], DAP_TOY,
     'casp.finetune.parts', 'DAP Sec. 3.1 Step 4 (all but the last layers)'),
    (0.02, DAP_FINETUNE, 'optim_wrapper.optimizer.lr', 'DAP Sec. 4.1'),
    ([8, 11], DAP_FINETUNE, 'param_scheduler.1.milestones',
     'DAP Sec. 4.1 (x0.1 at 60k and 80k of 90k it.)'),
    (True, DAP_FINETUNE, 'model.backbone.norm_eval', 'DAP Sec. 4.1'),
    (1, DAP_FINETUNE, 'model.backbone.frozen_stages', 'DAP Sec. 4.1'),
    # DAP: PASCAL VOC finetune (14 epochs, lr 0.01 -> 0.001 at epoch 10,
    # short side 640, batch 16 = 2 x 8 GPUs)
    (14, DAP_VOC07, 'train_cfg.max_epochs', 'DAP Sec. 4.1'),
    (14, DAP_VOC0712, 'train_cfg.max_epochs', 'DAP Sec. 4.1'),
    (0.01, DAP_VOC07, 'optim_wrapper.optimizer.lr', 'DAP Sec. 4.1'),
    (0.01, DAP_VOC0712, 'optim_wrapper.optimizer.lr', 'DAP Sec. 4.1'),
    ([10], DAP_VOC07, 'param_scheduler.1.milestones', 'DAP Sec. 4.1'),
    ([10], DAP_VOC0712, 'param_scheduler.1.milestones', 'DAP Sec. 4.1'),
    (0.1, DAP_VOC07, 'param_scheduler.1.gamma', 'DAP Sec. 4.1 (0.001)'),
    (2, DAP_VOC07, 'train_dataloader.batch_size',
     'DAP Sec. 4.1 (4.5K steps), x8 GPUs'),
    (16, DAP_VOC07, 'auto_scale_lr.base_batch_size', 'DAP Sec. 4.1'),
    ((1333, 640), DAP_VOC07, 'train_dataloader.dataset.pipeline@Resize.scale',
     'DAP Sec. 4.1'),
    ((1333, 640), DAP_VOC07, 'test_dataloader.dataset.pipeline@Resize.scale',
     'DAP Sec. 4.1'),
    ((1333, 640), DAP_VOC0712,
     'train_dataloader.dataset.datasets.1.pipeline@Resize.scale',
     'DAP Sec. 4.1'),
    ('VOC2012/ImageSets/Main/trainval.txt', DAP_VOC0712,
     'train_dataloader.dataset.datasets.1.ann_file', 'DAP Sec. 4.1 (07+12)'),
    (20, DAP_VOC07, 'model.roi_head.bbox_head.num_classes', 'DAP Sec. 4.1'),
    (['backbone', 'neck', 'rpn_head',
      'roi_head'], DAP_VOC07, 'model.init_cfg.parts', 'DAP Sec. 3.1 Step 4'),
    (1, DAP_VOC07, 'model.backbone.frozen_stages', 'DAP Sec. 4.1'),
    (True, DAP_VOC07, 'model.backbone.norm_eval', 'DAP Sec. 4.1'),
    (1e-4, DAP_VOC07, 'optim_wrapper.optimizer.weight_decay',
     'DAP Sec. 4.1 (IN-1M)'),
    ('area', DAP_VOC07, 'val_evaluator.0.eval_mode', 'DAP Table 2 (AP.5)'),
    ('11points', DAP_VOC07, 'val_evaluator.1.eval_mode',
     'DAP Table 2 (AP.5, 07metric)'),
    (R50_IMAGENET, DAP_VOC07, INIT, 'DAP Sec. 4.1 (CLS: torchvision R-50)'),
    # DAP Table 9 self-training: the rule and the 2 more epochs
    (0.6, DAP_ST, 'self_training.labeling.delta', 'DAP Table 9'),
    (True, DAP_ST, 'self_training.labeling.keep_top',
     'DAP Table 9 (max in image)'),
    (True, DAP_ST, 'self_training.labeling.flip',
     'DAP Table 9 (test-time flip)'),
    (True, DAP_ST, 'self_training.labeling.class_specific',
     'DAP Table 9 (VOC classes)'),
    (2, DAP_ST, 'self_training.epochs', 'DAP Table 9 (2 more epochs)'),
    (2, DAP_ST, 'train_cfg.max_epochs', 'DAP Table 9 (2 more epochs)'),
    ('annotations/voc12_trainval_pseudo.json', DAP_ST,
     'train_dataloader.dataset.datasets.1.ann_file', 'DAP Table 9'),
    # every paper recipe starts from ImageNet (mmdet's convention)
    (R50_IMAGENET, LABELER, INIT, 'CaSP Table 2 (ImageNet start)'),
    (R50_IMAGENET, WARMUP, INIT, 'CaSP Table 2 (ImageNet start)'),
    (R50_IMAGENET, FINETUNE, INIT, 'CaSP Table 2 (the ImageNet baseline)'),
    (R50_IMAGENET, IMAGENET, INIT, 'CaSP Table 2 ImageNet row'),
    (SWIN_T_IMAGENET, LABELER_SWIN, INIT, 'CaSP Sec. 4 (mmdet Swin-T)'),
    (SWIN_T_IMAGENET, WARMUP_SWIN, INIT, 'CaSP Sec. 4 (mmdet Swin-T)'),
    (SWIN_T_IMAGENET, FINETUNE_SWIN, INIT, 'CaSP Sec. 4 (mmdet Swin-T)'),
    (SWIN_T_IMAGENET, IMAGENET_SWIN, INIT, 'CaSP Table 2 ImageNet row'),
    ('imagenet', EFFL0, 'model.backbone.pretrained',
     'packaged EfficientNet-Lite0 ImageNet weights'),
    (R50_IMAGENET, DAP_PRETRAIN, INIT, 'DAP Sec. 4.1 (IN-1M classifier)'),
    (R50_IMAGENET, PREDET_FT, INIT, 'PreDet Table 4 (cls-ImageNet)'),
    # CaSP Table 2: the ImageNet row and the stage configs of the others
    ('CondInst', IMAGENET, 'model.type', 'CaSP Table 2 ImageNet row'),
    (80, IMAGENET, 'model.bbox_head.num_classes', 'CaSP Table 2'),
    (36, IMAGENET, 'train_cfg.max_epochs', 'CaSP Sec. 4 (3x finetune)'),
    (MS_SCALES, IMAGENET, MS, 'CaSP Sec. 4 (range: not stated)'),
    (36, IMAGENET_SWIN, 'train_cfg.max_epochs', 'CaSP Sec. 4'),
    (60, CS_WARMUP, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    ([45, 55], CS_WARMUP, 'param_scheduler.1.milestones', NOT_STATED),
    (80, CS_WARMUP, 'model.bbox_head.num_classes', 'CaSP Table 2 (P,S)'),
    (60, CS_WARMUP_SWIN, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    ('AdamW', CS_WARMUP_SWIN, 'optim_wrapper.optimizer.type', NOT_STATED),
    (60, ENT_WARMUP, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    (60, ENT_WARMUP_SWIN, 'train_cfg.max_epochs', 'CaSP Sec. 4'),
    (['entity'], ENT_WARMUP, 'train_dataloader.dataset.metainfo.classes',
     'CaSP Sec. 3.3'),
    # CaSP Table 2: Objects(P,S)
    (True, CASP_CS, 'casp.pseudo.class_specific', 'CaSP Table 2 (P,S)'),
    ('copy', CASP_CS, 'casp.finetune.classifier', 'CaSP Sec. 3.2'),
    (IMAGENET, CASP_CS, 'casp.labeler.config', 'CaSP Table 2 (P,S)'),
    (CS_WARMUP, CASP_CS, 'casp.warmup.config', 'CaSP Table 2 (P,S), 5x'),
    (FINETUNE, CASP_CS, 'casp.finetune.config', 'CaSP Sec. 4, Table 4'),
    (0.2, CASP_CS, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (IMAGENET_SWIN, CASP_CS_SWIN, 'casp.labeler.config', 'CaSP Table 2'),
    (CS_WARMUP_SWIN, CASP_CS_SWIN, 'casp.warmup.config', 'CaSP Table 2'),
    (FINETUNE_SWIN, CASP_CS_SWIN, 'casp.finetune.config', 'CaSP Table 2'),
    (True, CASP_CS_TOY, 'casp.pseudo.class_specific', 'CaSP Table 2 (P,S)'),
    ('copy', CASP_CS_TOY, 'casp.finetune.classifier', 'CaSP Sec. 3.2'),
    # CaSP Table 2: Entities(P,A)
    ('entities', CASP_ENT, 'casp.pretrain_on', 'CaSP Sec. 3.3, Table 2'),
    (ENT_LABELER, CASP_ENT, 'casp.labeler.config', 'CaSP Table 2'),
    (ENT_WARMUP, CASP_ENT, 'casp.warmup.config', 'CaSP Table 2, 5x'),
    ('annotations/entities_train2017.json', CASP_ENT,
     'casp.data.labeled.entities', 'CaSP Sec. 3.3'),
    (ENT_WARMUP_SWIN, CASP_ENT_SWIN, 'casp.warmup.config', 'CaSP Table 2'),
    ('entities', CASP_ENT_SWIN, 'casp.pretrain_on', 'CaSP Table 2'),
    # CaSP Table 2: Objects(G,A) -- finetune from the labeler (needs the
    # pipeline option finetune.init_from)
    ('labeler', CASP_GA, 'casp.finetune.init_from', 'CaSP Table 2 (G,A)'),
    (LABELER, CASP_GA, 'casp.labeler.config', 'CaSP Table 2 (G,A)'),
    (FINETUNE, CASP_GA, 'casp.finetune.config', 'CaSP Sec. 4, Table 4'),
    ('labeler', CASP_GA_SWIN, 'casp.finetune.init_from', 'CaSP Table 2'),
    (LABELER_SWIN, CASP_GA_SWIN, 'casp.labeler.config', 'CaSP Table 2'),
    ('labeler', CASP_GA_TOY, 'casp.finetune.init_from', 'CaSP Table 2'),
    # PreDet pretraining at the paper's scale (R-50, Table 4)
    ('PreDet', PREDET, 'model.type', 'PreDet Sec. 3'),
    (50, PREDET, 'model.backbone.depth', 'PreDet Table 4 (R-50)'),
    ('FPN', PREDET, 'model.neck.type', 'PreDet Sec. 3.1'),
    ('ContrastiveRPNHead', PREDET, 'model.rpn_head.type', 'PreDet 3.2.1'),
    ('ContrastiveRoIHead', PREDET, 'model.roi_head.type', 'PreDet 3.2.2'),
    ('Kaiming', PREDET, 'model.backbone.init_cfg.0.type',
     'PreDet Sec. 3, 4.1 (from scratch: our reading)'),
    ((480, 480), PREDET, 'train_dataloader.dataset.pipeline@TwoViews.out_size',
     'PreDet Sec. 4.1'),
    (16, PREDET, 'model.num_queries', 'PreDet Sec. 4.1'),
    ('random', PREDET, 'model.query_sampling', 'PreDet Sec. 4.1'),
    (512, PREDET, 'model.roi_head.max_negatives', 'PreDet Sec. 4.1'),
    (0.07, PREDET, 'model.roi_head.tau', 'PreDet Sec. 3.2.2'),
    (256, PREDET, 'model.rpn_head.sampler.num', 'PreDet Sec. 3.2.1'),
    (0.5, PREDET, 'model.rpn_head.sampler.pos_fraction', 'PreDet 3.2.1'),
    ('random', PREDET, 'model.rpn_head.zero_iou_query', 'PreDet 3.2.1'),
    ('softmax_khot', PREDET, 'model.cls_loss', 'PreDet Sec. 3.1'),
    (1000, PREDET, 'model.num_classes', 'PreDet Table 2 (ImageNet-1k)'),
    (True, PREDET, 'train_dataloader.dataset.with_labels', 'PreDet Sec. 3'),
    (4, PREDET, 'train_dataloader.batch_size',
     'PreDet Sec. 4.1 (x 128 GPUs = 512 images, 1024 views)'),
    (512, PREDET, 'auto_scale_lr.base_batch_size', 'PreDet Sec. 3.3, 4.1'),
    (0.2, PREDET, 'optim_wrapper.optimizer.lr', 'PreDet Sec. 4.1'),
    (540000, PREDET, 'train_cfg.max_iters', 'PreDet Sec. 4.1'),
    ([108000, 216000, 324000, 432000], PREDET, 'param_scheduler.1.milestones',
     'PreDet Sec. 4.1 (four uniform steps)'),
    (0.1, PREDET, 'param_scheduler.1.gamma', 'PreDet Sec. 4.1'),
    # PreDet COCO finetune
    ('MaskRCNN', PREDET_FT, 'model.type', 'PreDet Sec. 4.2'),
    (-1, PREDET_FT, 'model.backbone.frozen_stages', 'PreDet Sec. 4.2'),
    (False, PREDET_FT, 'model.backbone.norm_eval', 'PreDet Sec. 4.2'),
    ('Shared4Conv1FCBBoxHead', PREDET_FT, 'model.roi_head.bbox_head.type',
     'PreDet Sec. 5.2.1 (R-50: 4 conv + 1 fc)'),
    (['backbone',
      'neck'], PREDET_FT, 'model.init_cfg.parts', 'PreDet Sec. 4.2, Table 4'),
    ({
        'roi_head.mask_head': dict(lr_mult=4.0)
    }, PREDET_FT, 'optim_wrapper.paramwise_cfg.custom_keys', 'PreDet 4.2'),
    (MS_SCALES, PREDET_FT, MS, 'PreDet Sec. 4.2'),
    ('relative_range', PREDET_FT,
     'train_dataloader.dataset.pipeline@RandomCrop.crop_type',
     'PreDet Sec. 4.2 (random crop; size: not stated)'),
    (0.5, PREDET_FT, 'train_dataloader.dataset.pipeline@RandomFlip.prob',
     'PreDet Sec. 4.2'),
    ((1333, 800), PREDET_FT, 'test_dataloader.dataset.pipeline@Resize.scale',
     'PreDet Sec. 4.2 (test 800)'),
    (12, PREDET_FT, 'train_cfg.max_epochs', 'PreDet Sec. 4.2 (1x = 90k)'),
    (2, PREDET_FT, 'train_dataloader.batch_size', 'PreDet 4.2, x8 GPUs'),
]

# DAP's CAM rules: defaults of CamPredictor (value, argument, section)
CAM_DEFAULTS = [
    ((288, 576), 'scales', 'DAP Sec. 4.1'),
    (True, 'flip', 'DAP Sec. 3.1, 4.1'),
    ((0.2, 0.3, 0.4, 0.5), 'thresholds', 'DAP Eq. 2, Sec. 4.1'),
    (0.5, 'min_ratio', 'DAP Sec. 3.1'),
    (0.8, 'nms_iou', 'DAP Sec. 4.1'),
    (0.0, 'min_score', 'DAP Sec. 3.1 (no score filter)'),
    (False, 'relu', 'DAP Eq. 1 (min-max of the raw CAM)'),
]

_CONFIGS = {}


def _config(path):
    if path not in _CONFIGS:
        _CONFIGS[path] = Config.fromfile(osp.join(REPO_ROOT, path))
    return _CONFIGS[path]


def _plain(value):
    """ConfigDict/list/tuple -> plain python, tuples as lists."""
    if hasattr(value, 'to_dict'):
        return {k: _plain(v) for k, v in value.to_dict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def lookup(cfg, key):
    """The value at ``key`` (dotted; ``path@Type.arg`` for a transform)."""
    path, _, transform = key.partition('@')
    value = cfg
    for part in path.split('.'):
        value = value[int(part)] if part.isdigit() else value[part]
    if transform:
        kind, arg = transform.split('.')
        steps = [t for t in value if t['type'] == kind]
        assert len(steps) == 1, f'{path}: {len(steps)} {kind} transforms'
        value = steps[0][arg]
    return value


def _ids(rows):
    return [f'{osp.basename(r[1])[:-3]}:{r[2]}' for r in rows]


@pytest.mark.parametrize('value,path,key,where', ROWS, ids=_ids(ROWS))
def test_config_holds_the_paper_value(value, path, key, where):
    got = lookup(_config(path), key)
    if isinstance(value, float):
        assert got == pytest.approx(value), f'{path} {key} ({where})'
    else:
        assert _plain(got) == _plain(value), f'{path} {key} ({where})'


@pytest.mark.parametrize(
    'value,arg,where', CAM_DEFAULTS, ids=[r[1] for r in CAM_DEFAULTS])
def test_cam_predictor_defaults_are_dap_values(value, arg, where):
    from mmcasp.pseudo_labels import CamPredictor
    default = inspect.signature(CamPredictor).parameters[arg].default
    assert _plain(default) == _plain(value), f'CamPredictor({arg}) ({where})'


def test_dap_self_training_rule_is_a_pipeline_pseudo_section():
    """The config's rule is what the pipeline's ``pseudo`` section and
    tools/pseudo_label.py take (each key a field of the settings)."""
    from mmcasp.pipeline import PseudoSettings
    rule = _config(DAP_ST)['self_training']['labeling']
    settings = PseudoSettings(**rule)
    assert (settings.delta, settings.keep_top, settings.flip,
            settings.class_specific) == (0.6, True, True, True)


@pytest.mark.parametrize('pipeline', [
    CASP, CASP_SWIN, CASP_STRONG, CASP_CS, CASP_CS_SWIN, CASP_ENT,
    CASP_ENT_SWIN
])
def test_paper_pipelines_warm_up_5x_and_finetune_3x(pipeline):
    """The stage configs a paper-recipe pipeline names train 60 / 36 epochs
    (or the pipeline overrides them with those)."""
    casp = _config(pipeline).casp
    for stage, epochs in (('warmup', 60), ('finetune', 36)):
        stage_cfg = _config(casp[stage].config)
        got = casp[stage].get('epochs') or stage_cfg.train_cfg.max_epochs
        assert got == epochs, f'{pipeline}: {stage}'
    assert casp.get('baseline') is None  # the baseline is the same finetune


def _doc_rows():
    with open(osp.join(REPO_ROOT, 'docs', 'recipes.md')) as f:
        return [line for line in f if line.startswith('| ')]


def test_every_config_the_recipes_doc_names_exists():
    named = set()
    for row in _doc_rows():
        for token in re.findall(r'`([^`\s]+)`', row):
            if re.match(r'(configs|benchmarks|mmcasp|tools)/', token):
                named.add(token)
    assert len(named) >= 20
    missing = [
        p for p in sorted(named) if not osp.exists(osp.join(REPO_ROOT, p))
    ]
    assert not missing, missing


def test_every_checked_config_is_named_in_the_recipes_doc():
    with open(osp.join(REPO_ROOT, 'docs', 'recipes.md')) as f:
        doc = f.read()
    checked = {r[1] for r in ROWS}
    assert not sorted(p for p in checked if f'`{p}`' not in doc)

# Copyright (c) mmcasp contributors. All rights reserved.
"""DAP's labeler: class activation maps of an image classifier."""
import os.path as osp
from typing import List, Optional

from mmcasp.pseudo_labels import CamPredictor
from mmcasp.registry import LABELERS
from ..errors import PipelineError
from ..settings import StageSettings, signature_settings
from .base import BaseLabeler

__all__ = ['CamLabeler']

#: CamPredictor arguments the pipeline decides, not the user
_FIXED = ('classifier', 'image_labels', 'class_agnostic', 'category_ids')


@LABELERS.register_module('cam')
class CamLabeler(BaseLabeler):
    """Boxes from class activation maps (DAP, Sec. 3.1).

    With ``data.unlabeled.image_labels`` (the weakly supervised setting of
    the paper), the steps are the paper's:

    1. *Classifier pretraining*: a trainable ``classifier_config`` (an
       mmengine config whose ``model`` is e.g.
       :class:`~mmcasp.models.ImageLevelClassifier`) given without a
       checkpoint is trained by the ``labeler`` stage on the unlabeled
       images and their image-level labels.
    2. *Pseudo boxes*: the CAMs of each image's ground-truth labels; images
       the labels file does not list are truly unlabeled and get the
       ``top_k`` predicted classes. With ``pseudo.class_specific=True`` the
       boxes keep those classes (the labels file's categories, sorted by
       id, are the classifier's classes).
    3. *Detector pretraining*: with ``init_backbone``, the warmup's backbone
       starts from the classifier's, and so does the baseline's (the
       classification pretraining DAP is compared with).

    Without image labels: the ``top_k`` predicted classes of the classifier
    (default the packaged ImageNet EfficientNet-Lite0, whose backbone the
    EfficientNet-Lite0 detectors already start from) and class-agnostic
    boxes: the variant for truly unlabeled images.

    Args:
        classifier_config, classifier_checkpoint: The classifier (default:
            the packaged ImageNet EfficientNet-Lite0).
        classifier_epochs, classifier_cfg_options: Epochs of Step 1
            (default the config's) and overrides of its config (dotted
            keys).
        init_backbone: Step 3's backbone initialisation from the
            classifier's checkpoint (a classifier with its own checkpoint
            or trained in Step 1).
        **cam: The CAM rules (``top_k``, ``scales``, ``flip``, ``relu``,
            ``thresholds``, ``min_ratio``, ``nms_iou``, ``min_score``,
            ``fp16``): arguments of
            :class:`~mmcasp.pseudo_labels.CamPredictor`, whose signature
            holds their defaults.
    """
    method = 'DAP'
    makes_masks = False
    entities_ok = False
    extra_settings = tuple(
        k for k in signature_settings(CamPredictor) if k not in _FIXED)

    def __init__(self,
                 classifier_config: Optional[str] = None,
                 classifier_checkpoint: Optional[str] = None,
                 classifier_epochs: Optional[int] = None,
                 classifier_cfg_options: Optional[dict] = None,
                 init_backbone: bool = True,
                 **cam) -> None:
        self.classifier_config = classifier_config
        self.classifier_checkpoint = classifier_checkpoint
        self.classifier_epochs = classifier_epochs
        self.classifier_cfg_options = dict(classifier_cfg_options or {})
        self.init_backbone = init_backbone
        self.cam = cam
        self._labels: Optional[tuple] = None  # (path, parsed labels)

    def describe(self, class_specific: bool) -> str:
        return 'labeler (CAM, DAP)'

    def trains_classifier(self, pipeline) -> bool:
        """Whether the labeler stage trains the classifier (Step 1)."""
        if not self.classifier_config or self.classifier_checkpoint:
            return False
        cfg = pipeline.load_stage_config(self.classifier_config)
        return cfg.get('train_dataloader') is not None

    def validate(self, pipeline) -> List[str]:
        problems = [
            f'labeler.{key}: {path} does not exist'
            for key, path in (('classifier_config', self.classifier_config),
                              ('classifier_checkpoint',
                               self.classifier_checkpoint))
            if path and not osp.isfile(path)
        ]
        if problems:
            return problems
        if self.classifier_config:
            problems += pipeline.config_problems('labeler.classifier_config',
                                                 self.classifier_config)
        if problems:
            return problems
        labels = pipeline.settings.data.unlabeled.image_labels
        if pipeline.settings.pseudo.class_specific and not labels:
            problems.append(
                'pseudo.class_specific: class-specific CAM boxes need '
                'data.unlabeled.image_labels (a COCO file whose categories, '
                "sorted by id, name the classifier's classes)")
        if self.trains_classifier(pipeline) and not labels:
            problems.append(
                f'labeler.classifier_config: {self.classifier_config} is '
                'trained by the labeler stage (no classifier_checkpoint), '
                'which needs image-level labels: set '
                'data.unlabeled.image_labels')
        return problems

    def run(self, pipeline) -> dict:
        if not self.trains_classifier(pipeline):
            return dict(
                classifier_config=self.classifier_config,
                classifier_checkpoint=self.classifier_checkpoint,
                wall_s=0.0)
        stage = StageSettings(self.classifier_config, self.classifier_epochs,
                              self.classifier_cfg_options)
        cfg = pipeline.stage_config(
            'labeler',
            stage,
            train=pipeline.split('unlabeled'),
            class_specific=False)
        rec = pipeline.train('labeler', cfg)
        return dict(
            rec,
            classifier_config=rec['config'],
            classifier_checkpoint=rec['checkpoint'])

    @classmethod
    def shapes_baseline(cls, settings: dict) -> bool:
        """A classifier of one's own with ``init_backbone``: the baseline
        starts from its backbone."""
        init = settings.get('init_backbone',
                            signature_settings(cls)['init_backbone'].default)
        return bool(init and settings.get('classifier_config'))

    def stage_overrides(self, pipeline, record: Optional[dict],
                        stage: str) -> dict:
        """Step 3: the warmup's and the baseline's backbone from the
        classifier's checkpoint (its ``backbone.*`` weights)."""
        if not self.init_backbone or stage not in ('warmup', 'baseline'):
            return {}
        if record is None:
            if self.classifier_checkpoint or self.trains_classifier(pipeline):
                raise PipelineError(
                    f'the {stage} starts from the classifier\'s backbone '
                    '(DAP Step 3; labeler.init_backbone): run the labeler '
                    'stage first')
            return {}
        ckpt = record.get('classifier_checkpoint')
        if not ckpt:
            return {}
        return {
            'model.backbone.init_cfg':
            dict(
                _delete_=True,  # replaces the config's own init
                type='Pretrained',
                checkpoint=ckpt,
                prefix='backbone.')
        }

    def _image_labels(self, pipeline):
        """``(categories sorted by id, {file name: class indices})`` of
        ``data.unlabeled.image_labels`` (read once), or ``(None, None)``."""
        from mmcasp.datasets import image_level_labels
        from mmcasp.utils import load_json
        path = pipeline.settings.data.unlabeled.image_labels
        if not path:
            return None, None
        if self._labels is None or self._labels[0] != path:
            self._labels = (path,
                            image_level_labels(
                                load_json(path, 'image-label file')))
        return self._labels[1]

    def predictor(self, pipeline, record: dict):
        from mmcasp.apis import build_cam_predictor
        cats, labels = self._image_labels(pipeline)
        class_specific = pipeline.settings.pseudo.class_specific
        predictor = build_cam_predictor(
            record.get('classifier_config'),
            record.get('classifier_checkpoint'),
            image_labels=labels,
            class_agnostic=not class_specific,
            category_ids=[c['id'] for c in cats] if cats else None,
            **self.cam)
        if cats is not None:
            n = predictor.classifier.cam_weights()[0].shape[0]
            if n != len(cats):
                raise PipelineError(
                    f'the classifier has {n} classes but '
                    f'data.unlabeled.image_labels has {len(cats)} '
                    "categories; its categories, sorted by id, must be the "
                    "classifier's classes")
        return predictor

    def categories(self, pipeline, predictor):
        if not pipeline.settings.pseudo.class_specific:
            return [pipeline.agnostic_category()]
        cats, _ = self._image_labels(pipeline)
        return [
            dict(
                id=c['id'],
                name=c['name'],
                supercategory=c.get('supercategory', '')) for c in cats
        ]

    def info(self, pipeline, record: dict) -> dict:
        return dict(
            labeler='cam',
            classifier=record.get('classifier_config')
            or 'EfficientNet-Lite0 ImageNet',
            checkpoint=record.get('classifier_checkpoint'),
            image_labels=pipeline.settings.data.unlabeled.image_labels,
            class_specific=pipeline.settings.pseudo.class_specific)

# Copyright (c) mmcasp contributors. All rights reserved.
"""DAP's labeler: class activation maps of an image classifier."""
import os.path as osp
from typing import List, Optional

from mmcasp.pseudo_labels import cam_rules
from mmcasp.registry import LABELERS
from ..errors import PipelineError
from ..settings import StageSettings, signature_settings
from ..stage_configs import resolve_config
from .base import BaseLabeler

__all__ = ['CamLabeler', 'backbone_mismatch']


def backbone_mismatch(checkpoint: str, cfg) -> List[str]:
    """What keeps a classifier checkpoint's ``backbone.*`` weights from
    loading into the backbone of ``cfg``'s model (mmengine's
    ``Pretrained`` init loads non-strictly: a mismatch would leave the
    backbone at random, with a log line only). At most five problems."""
    from mmcasp.utils import safe_torch_load
    from mmcasp.utils.build import build_model
    state = safe_torch_load(checkpoint, 'cpu')
    state = state.get('state_dict', state)
    src = {
        k[len('backbone.'):]: v
        for k, v in state.items() if k.startswith('backbone.')
    }
    backbone = dict(cfg.model.backbone)
    backbone.pop('init_cfg', None)
    backbone.pop('pretrained', None)  # nothing is loaded to check keys
    dst = build_model(
        backbone, cfg.get('default_scope', 'mmdet'),
        init_weights=False).state_dict()
    problems = [f'{k} missing' for k in dst if k not in src]
    problems += [
        f'{k}: {tuple(src[k].shape)} vs {tuple(v.shape)}'
        for k, v in dst.items() if k in src and src[k].shape != v.shape
    ]
    if problems and len(problems) == len(dst):
        return [
            f'none of the {len(dst)} backbone weights matches '
            f'(e.g. {problems[0]})'
        ]
    return problems[:5]


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
    extra_settings = tuple(cam_rules())

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

    def describe(self, class_specific: bool) -> str:
        return 'labeler (CAM, DAP)'

    def trains_classifier(self, ctx) -> bool:
        """Whether the labeler stage trains the classifier (Step 1)."""
        if not self.classifier_config or self.classifier_checkpoint:
            return False
        cfg = ctx.load_stage_config(self.classifier_config)
        return cfg.get('train_dataloader') is not None

    def validate(self, ctx) -> List[str]:
        problems = []
        ckpt = self.classifier_checkpoint
        if ckpt and not osp.isfile(ckpt):
            problems.append(f'labeler.classifier_checkpoint: {ckpt} does '
                            'not exist')
        if self.classifier_config:  # a path, or mmcasp::classifier/...
            problems += ctx.config_problems('labeler.classifier_config',
                                            self.classifier_config)
        if problems:
            return problems
        labels = ctx.settings.data.unlabeled.image_labels
        if ctx.pseudo.class_specific and not labels:
            problems.append(
                'pseudo.class_specific: class-specific CAM boxes need '
                'data.unlabeled.image_labels (a COCO file whose categories, '
                "sorted by id, name the classifier's classes)")
        if ctx.pseudo.class_specific and labels:
            problems += self._class_problems(ctx)
        if self.trains_classifier(ctx) and not labels:
            problems.append(
                f'labeler.classifier_config: {self.classifier_config} is '
                'trained by the labeler stage (no classifier_checkpoint), '
                'which needs image-level labels: set '
                'data.unlabeled.image_labels')
        return problems

    def _class_problems(self, ctx) -> List[str]:
        """Class-specific boxes carry the image-label file's categories:
        the warmup must train on those classes (mmdet's CocoDataset drops
        annotations of other categories without a word)."""
        from mmcasp.utils import InputFileError
        from ..stage_configs import train_classes
        warmup = ctx.settings.warmup.config
        try:
            cats, _ = ctx.image_labels()
            classes = train_classes(ctx.load_stage_config(warmup))
        except (InputFileError, PipelineError):
            return []  # reported by the checks of those files
        names = tuple(c['name'] for c in cats)
        if classes is not None and classes != names:
            return [
                f'warmup.config: it trains on the classes {list(classes)}, '
                f'but the class-specific CAM boxes carry the categories of '
                f'data.unlabeled.image_labels {list(names)}; give the '
                'warmup those classes (metainfo and num_classes)'
            ]
        return []

    def run(self, ctx) -> dict:
        if not self.trains_classifier(ctx):
            config = self.classifier_config
            return dict(
                classifier_config=config and resolve_config(config),
                classifier_checkpoint=self.classifier_checkpoint,
                wall_s=0.0)
        stage = StageSettings(self.classifier_config, self.classifier_epochs,
                              self.classifier_cfg_options)
        cfg = ctx.stage_config(
            'labeler',
            stage,
            train=ctx.split('unlabeled'),
            class_specific=False)
        rec = ctx.train('labeler', cfg)
        return dict(
            rec,
            classifier_config=rec['config'],
            classifier_checkpoint=rec['checkpoint'])

    @classmethod
    def shapes_baseline(cls, settings: dict) -> bool:
        """A classifier of one's own with ``init_backbone``: the baseline
        starts from its backbone."""
        init = cls.resolved_settings(settings)['init_backbone']
        return bool(init and settings.get('classifier_config'))

    #: the settings of Step 1 (the classifier), see training_settings
    CLASSIFIER_SETTINGS = ('type', 'classifier_config',
                           'classifier_checkpoint', 'classifier_epochs',
                           'classifier_cfg_options')

    @classmethod
    def training_settings(cls, settings: dict) -> dict:
        """The classifier's settings: tuning the CAM rules (τ, scales,
        ...) reuses the trained classifier."""
        return {
            k: v
            for k, v in settings.items() if k in cls.CLASSIFIER_SETTINGS
        }

    @classmethod
    def resolved_settings(cls, settings: dict) -> dict:
        """The CAM rules with their defaults filled in (from the
        signatures): runs made before a default changed (``relu`` after
        0.1.0) are not reused as if made with the new one."""
        defaults = dict(
            cam_rules(), **{
                k: p.default
                for k, p in signature_settings(cls).items()
                if p.default is not p.empty
            })
        return dict(defaults, **settings)

    def stage_overrides(self, ctx, record: Optional[dict], stage: str) -> dict:
        """Step 3: the warmup's and the baseline's backbone from the
        classifier's checkpoint (its ``backbone.*`` weights)."""
        if not self.init_backbone or stage not in ('warmup', 'baseline'):
            return {}
        if record is None:
            if self.classifier_checkpoint or self.trains_classifier(ctx):
                raise PipelineError(
                    f'the {stage} starts from the classifier\'s backbone '
                    '(DAP Step 3; labeler.init_backbone): run the labeler '
                    'stage first')
            return {}
        ckpt = record.get('classifier_checkpoint')
        if not ckpt:
            return {}
        settings = ctx.settings
        target = settings.warmup if stage == 'warmup' else (
            settings.baseline or settings.finetune)
        problems = backbone_mismatch(ckpt,
                                     ctx.load_stage_config(target.config))
        if problems:
            raise PipelineError(
                f'labeler.init_backbone: the classifier\'s backbone '
                f'({ckpt}) does not fit the {stage} config\'s '
                f'({target.config}): ' + '; '.join(problems) +
                '; give both the same backbone, or init_backbone=False')
        return {
            'model.backbone.init_cfg':
            dict(type='Pretrained', checkpoint=ckpt, prefix='backbone.')
        }

    def predictor(self, ctx, record: dict):
        return self.split_predictor(ctx, record, 'unlabeled')

    def split_predictor(self, ctx, record: dict, split: str):
        """The image labels are the unlabeled split's: another split (e.g.
        val, scored against its ground truth) gets the ``top_k`` predicted
        classes, even where a file name is the same."""
        from mmcasp.pseudo_labels import build_cam_predictor
        cats, labels = ctx.image_labels()
        if split != 'unlabeled':
            labels = None
        class_specific = ctx.pseudo.class_specific
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

    def categories(self, ctx, predictor):
        if not ctx.pseudo.class_specific:
            return [ctx.agnostic_category()]
        cats, _ = ctx.image_labels()
        return [
            dict(
                id=c['id'],
                name=c['name'],
                supercategory=c.get('supercategory', '')) for c in cats
        ]

    def info(self, ctx, record: dict) -> dict:
        return dict(
            labeler='cam',
            classifier=record.get('classifier_config')
            or 'EfficientNet-Lite0 ImageNet',
            checkpoint=record.get('classifier_checkpoint'),
            image_labels=ctx.settings.data.unlabeled.image_labels,
            class_specific=ctx.pseudo.class_specific)

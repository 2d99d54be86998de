# Copyright (c) mmcasp contributors. All rights reserved.
"""Label images with a built predictor: the one driver that the tools
(``tools/pseudo_label.py``, ``tools/cam_pseudo_label.py``), the
pseudo-labeling hooks and the pipeline's labelers share. Each builds its
predictor and says what made the labels; this records where the images
came from and what the scores mean, and runs the labeling loop."""
import os.path as osp
from typing import List, Mapping, Optional, Sequence, Tuple

from .labeling_loop import run_pseudo_labeling
from .labeling_settings import LabelingSettings

__all__ = ['label_images']


def label_images(predictor,
                 entries: Sequence[dict],
                 out_file: str,
                 image_root: str,
                 source: Optional[str] = None,
                 refused: Optional[Mapping[str, int]] = None,
                 info: Optional[dict] = None,
                 categories: Optional[List[dict]] = None,
                 drop_empty: bool = True,
                 show_progress: bool = True,
                 batch_size: int = LabelingSettings.batch_size,
                 num_workers: int = LabelingSettings.num_workers,
                 part: Optional[Tuple[int, int]] = None) -> Optional[dict]:
    """Label ``entries`` with ``predictor`` into ``out_file``
    (:func:`~mmcasp.pseudo_labels.run_pseudo_labeling`).

    Args:
        predictor: ``prepare(entry, img)`` and ``__call__(items)``, e.g. a
            :class:`~mmcasp.pseudo_labels.DetectorPredictor`; its
            ``objectness`` (what δ is compared with), if any, is recorded.
        entries, refused, image_root: As
            :func:`~mmcasp.datasets.collect_images` returns them (the
            refused entries count in the statistics).
        source: The image source as given (recorded when known).
        info: What made the labels (model, checkpoint, rules...): the
            output's ``info``, with ``image_root`` (absolute),
            ``image_source``, ``refused_names`` and ``objectness`` added.
        categories, drop_empty, show_progress, batch_size, num_workers,
            part: As :func:`~mmcasp.pseudo_labels.run_pseudo_labeling`
            takes them (``part``: an independent job's slice of a label
            store).

    Returns:
        The statistics on rank 0, ``None`` on other ranks.
    """
    info = dict(info or {}, image_root=osp.abspath(image_root))
    if source is not None:
        info['image_source'] = osp.abspath(source)
    if refused is not None:
        info['refused_names'] = dict(refused)
    if getattr(predictor, 'objectness', None):
        info['objectness'] = predictor.objectness
    return run_pseudo_labeling(
        entries,
        predictor,
        out_file,
        prepare=predictor.prepare,
        batch_size=batch_size,
        num_workers=num_workers,
        categories=categories,
        info=info,
        drop_empty=drop_empty,
        show_progress=show_progress,
        refused=refused,
        part=part)

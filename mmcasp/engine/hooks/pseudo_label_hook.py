# Copyright (c) mmcasp contributors. All rights reserved.
"""Shared part of the pseudo-labeling hooks."""
import os.path as osp
from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmcasp.pseudo_labels import (LabelingSettings, collect_images,
                                  format_stats, label_images)

__all__ = ['BasePseudoLabelHook']


class BasePseudoLabelHook(Hook, metaclass=ABCMeta):
    """Label an image set with the runner's model after training (and/or
    after given epochs) and write a COCO file under the work dir.

    Subclasses build the predictor from the model (:meth:`build_predictor`).
    The image source is checked when the hook is created (before training
    starts), so a bad path fails at once; the entries it refuses then
    (missing files, files of a folder that are not images...) are counted
    in every output file's statistics. Under torch.distributed every rank
    labels its share (see :func:`~mmcasp.pseudo_labels.run_pseudo_labeling`).

    Args:
        images (str): Folder, COCO json or text list.
        image_root (str, optional): Root of json/list file names.
        out_file (str): Output name; relative paths are under the work dir.
            ``{epoch}`` is filled in for per-epoch files.
        epochs (Sequence[int]): Also label after these epochs (1-based).
        after_train (bool): Label after training.
        batch_size, num_workers: Of the labeling loop.
    """

    priority = 'LOW'

    def __init__(self,
                 images: str,
                 out_file: str = 'pseudo_labels/pseudo_{epoch}.json',
                 image_root: Optional[str] = None,
                 epochs: Sequence[int] = (),
                 after_train: bool = True,
                 batch_size: int = LabelingSettings.batch_size,
                 num_workers: int = LabelingSettings.num_workers) -> None:
        self.entries, self.refused, self.root = collect_images(
            images, image_root)
        self.images = images
        self.out_file = out_file
        self.epochs = set(epochs)
        self.label_after_train = after_train
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.last_out: Optional[str] = None
        self.last_stats: Optional[dict] = None

    @abstractmethod
    def build_predictor(self, runner, model):
        """Return ``(predictor, categories or None, extra info dict)``."""

    def info(self, runner, epoch: int) -> dict:
        """What the output file's ``info`` records (besides the image
        source, see :func:`~mmcasp.pseudo_labels.label_images`); ``epoch``:
        the training epochs done when the labels were made."""
        return dict(work_dir=runner.work_dir, epoch=epoch)

    def _label(self, runner, tag: str, epoch: int) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        was_training = model.training
        out = self.out_file.format(epoch=tag)
        if not osp.isabs(out):
            out = osp.join(runner.work_dir, out)
        predictor, categories, extra = self.build_predictor(runner, model)
        info = self.info(runner, epoch)
        info.update(extra)
        stats = label_images(
            predictor,
            self.entries,
            out,
            self.root,
            source=self.images,
            refused=self.refused,
            info=info,
            categories=categories,
            batch_size=self.batch_size,
            num_workers=self.num_workers)
        if stats is not None:
            print_log(
                f'pseudo labels written to {out}\n' + format_stats(stats),
                logger='current')
        self.last_out, self.last_stats = out, stats
        model.train(was_training)

    def after_train_epoch(self, runner) -> None:
        # mmengine counts the epoch only after this hook: runner.epoch is
        # 0-based here (the epochs done minus one), 1-based in after_train
        done = runner.epoch + 1
        if done in self.epochs:
            self._label(runner, str(done), done)

    def after_train(self, runner) -> None:
        if self.label_after_train:
            self._label(runner, 'final', runner.epoch)

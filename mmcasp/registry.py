# Copyright (c) mmcasp contributors. All rights reserved.
"""Registries of mmcasp.

Every registry has scope ``mmcasp`` and mmdet's registry of the same kind as
parent, so a config with ``default_scope='mmcasp'`` can name mmcasp types and
every mmdet (and, through mmdet, mmengine) type unprefixed. ``locations`` make
the registry import the modules that register into it on first use.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS', 'LABELERS',
    'STAGES'
]

RUNNERS = Registry(
    'runner', parent=MMDET_RUNNERS, scope='mmcasp', locations=['mmcasp'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMDET_RUNNER_CONSTRUCTORS,
    scope='mmcasp',
    locations=['mmcasp'])
LOOPS = Registry(
    'loop', parent=MMDET_LOOPS, scope='mmcasp', locations=['mmcasp.engine'])
HOOKS = Registry(
    'hook', parent=MMDET_HOOKS, scope='mmcasp', locations=['mmcasp.engine'])

DATASETS = Registry(
    'dataset',
    parent=MMDET_DATASETS,
    scope='mmcasp',
    locations=['mmcasp.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMDET_DATA_SAMPLERS,
    scope='mmcasp',
    locations=['mmcasp.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMDET_TRANSFORMS,
    scope='mmcasp',
    locations=['mmcasp.datasets.transforms'])

MODELS = Registry(
    'model', parent=MMDET_MODELS, scope='mmcasp', locations=['mmcasp.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMDET_MODEL_WRAPPERS,
    scope='mmcasp',
    locations=['mmcasp.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMDET_WEIGHT_INITIALIZERS,
    scope='mmcasp',
    locations=['mmcasp.surgery'])

OPTIMIZERS = Registry(
    'optimizer',
    parent=MMDET_OPTIMIZERS,
    scope='mmcasp',
    locations=['mmcasp.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMDET_OPTIM_WRAPPERS,
    scope='mmcasp',
    locations=['mmcasp.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='mmcasp',
    locations=['mmcasp.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMDET_PARAM_SCHEDULERS,
    scope='mmcasp',
    locations=['mmcasp.engine'])

METRICS = Registry(
    'metric',
    parent=MMDET_METRICS,
    scope='mmcasp',
    locations=['mmcasp.evaluation'])
EVALUATOR = Registry(
    'evaluator',
    parent=MMDET_EVALUATOR,
    scope='mmcasp',
    locations=['mmcasp.evaluation'])

TASK_UTILS = Registry(
    'task util',
    parent=MMDET_TASK_UTILS,
    scope='mmcasp',
    locations=['mmcasp.models'])

VISUALIZERS = Registry(
    'visualizer',
    parent=MMDET_VISUALIZERS,
    scope='mmcasp',
    locations=['mmcasp.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMDET_VISBACKENDS,
    scope='mmcasp',
    locations=['mmcasp.visualization'])
LOG_PROCESSORS = Registry(
    'log_processor',
    parent=MMDET_LOG_PROCESSORS,
    scope='mmcasp',
    locations=['mmcasp.engine'])

# mmcasp's own (no mmdet parent): the pipeline's pseudo labelers and stages
LABELERS = Registry(
    'labeler', scope='mmcasp', locations=['mmcasp.pipeline.labelers'])
STAGES = Registry(
    'pipeline stage', scope='mmcasp', locations=['mmcasp.pipeline.stages'])

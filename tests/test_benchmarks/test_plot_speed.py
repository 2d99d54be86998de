# Copyright (c) mmcasp contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

from tests._helpers import REPO_ROOT

spec = importlib.util.spec_from_file_location(
    'bench_plot_speed', osp.join(REPO_ROOT, 'benchmarks', 'plot_speed.py'))
plot_speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plot_speed)


def test_pseudo_speed_plot_from_a_result_file(tmp_path):
    run = dict(
        images_per_s=20.,
        wall_s=10.,
        forward_s=6.,
        postprocess_s=2.,
        batch_size=8,
        fp16=False)
    res = dict(
        device='cpu',
        cpu_threads=2,
        images=200,
        num_workers=2,
        stock=dict(images_per_s=10.),
        ours=[run, dict(run, batch_size=32, fp16=True)])
    path = tmp_path / 'r.json'
    path.write_text(json.dumps(res))
    out = tmp_path / 'speed.png'
    plot_speed.main(
        ['--pseudo',
         str(path), '--pseudo',
         str(path), '--out',
         str(out)])
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

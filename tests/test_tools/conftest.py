# Copyright (c) mmcasp contributors. All rights reserved.
"""A private single-node slurm cluster (munged, slurmctld, slurmd) for the
slurm tests: its own config, key, state, spool and logs under the test's
temporary directory, ports picked free, daemons ended by their pids."""
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests._helpers import REPO_ROOT, free_port, subprocess_env

SLURM_BINARIES = ('munge', 'munged', 'slurmctld', 'slurmd', 'srun', 'sbatch',
                  'scancel', 'scontrol', 'sinfo', 'squeue')
PARTITION = 'cpu'
START_TIMEOUT_S = 60

SLURM_CONF = """\
ClusterName=mmcasptest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.sock
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=5
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName={partition} Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _which(name):
    return shutil.which(
        name, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')


class SlurmCluster:
    """Handles on a running private cluster for the tests."""

    def __init__(self, root, partition, cpus):
        self.root = root
        self.partition = partition
        self.cpus = cpus
        self.conf = osp.join(root, 'slurm.conf')
        self.procs = {}

    def env(self, **extra):
        """Environment of a client command (srun, sbatch, ...): this
        cluster's config, and this venv's python first on PATH (srun passes
        the environment on to the tasks)."""
        path = osp.dirname(sys.executable) + os.pathsep + os.environ.get(
            'PATH', '') + ':/usr/sbin:/sbin'
        env = {
            k: v
            for k, v in subprocess_env().items() if not k.startswith('SLURM_')
        }
        env.update(
            SLURM_CONF=self.conf, PATH=path, PYTHON=sys.executable, **extra)
        return env

    def run(self, cmd, timeout=120, check=True, **env):
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=self.env(**env),
            cwd=REPO_ROOT,
            timeout=timeout)
        if check:
            assert proc.returncode == 0, (f'{cmd} exited {proc.returncode}\n' +
                                          (proc.stdout + proc.stderr)[-4000:] +
                                          self.logs())
        return proc

    def sbatch(self, script, out, ntasks, **env):
        """Submit a batch script; returns the job id."""
        proc = self.run([
            'sbatch', '--parsable', f'--partition={self.partition}',
            f'--ntasks={ntasks}', '--cpus-per-task=1', f'--output={out}',
            script
        ], **env)
        return proc.stdout.strip().split(';')[0]

    def job_state(self, job_id):
        """JobState from ``scontrol show job`` (kept MinJobAge=300 s after
        the end), e.g. RUNNING, COMPLETED, CANCELLED, FAILED."""
        out = self.run(['scontrol', 'show', 'job', job_id], check=False)
        for field in out.stdout.split():
            if field.startswith('JobState='):
                return field.split('=', 1)[1]
        return 'UNKNOWN'

    def wait_job(self, job_id, timeout):
        """Wait for the job to end; returns its final state."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = self.job_state(job_id)
            if state not in ('PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING',
                             'SUSPENDED', 'UNKNOWN'):
                return state
            time.sleep(0.5)
        raise AssertionError(f'job {job_id} still {state} after {timeout} s' +
                             self.logs())

    def node_state(self):
        out = self.run(['sinfo', '-h', '-o', '%t'], check=False, timeout=10)
        return out.stdout.strip()

    def logs(self, tail=1500):
        text = ''
        for name in sorted(os.listdir(osp.join(self.root, 'log'))):
            with open(osp.join(self.root, 'log', name), errors='replace') as f:
                text += f'\n--- {name}\n' + f.read()[-tail:]
        return text

    def stop(self):
        # jobs first: their slurmstepd processes outlive slurmd
        ctld = self.procs.get('slurmctld')
        if ctld is not None and ctld.poll() is None:
            self.run(['scancel', '--full', '--user', 'root'],
                     check=False,
                     timeout=30)
            deadline = time.time() + 30
            while time.time() < deadline:
                out = self.run(['squeue', '-h'], check=False, timeout=10)
                if out.returncode != 0 or not out.stdout.strip():
                    break
                time.sleep(0.5)
        for name in ('slurmd', 'slurmctld', 'munged'):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _start(root, partition):
    for sub in ('munge', 'state', 'spool', 'log'):
        os.makedirs(osp.join(root, sub), mode=0o700)
    key = osp.join(root, 'munge', 'munge.key')
    with open(key, 'wb') as f:
        f.write(os.urandom(128))
    os.chmod(key, 0o600)
    cpus = os.cpu_count() or 1
    cluster = SlurmCluster(root, partition, cpus)
    with open(cluster.conf, 'w') as f:
        f.write(
            SLURM_CONF.format(
                host=socket.gethostname().split('.')[0],
                ctld_port=free_port(),
                d_port=free_port(),
                root=root,
                cpus=cpus,
                partition=partition))
    sock = osp.join(root, 'munge', 'munge.sock')
    daemons = [
        ('munged', [
            _which('munged'), '--foreground', '--force', f'--socket={sock}',
            f'--key-file={key}', f'--pid-file={root}/munge/munged.pid',
            f'--seed-file={root}/munge/munged.seed',
            f'--log-file={root}/log/munged.log'
        ]),
        ('slurmctld', [_which('slurmctld'), '-D', '-c', '-f', cluster.conf]),
        ('slurmd', [_which('slurmd'), '-D', '-f', cluster.conf]),
    ]
    for name, cmd in daemons:
        log = open(osp.join(root, 'log', f'{name}.out'), 'w')
        cluster.procs[name] = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=cluster.env(),
            cwd=root)
        log.close()
        if name == 'munged':
            deadline = time.time() + START_TIMEOUT_S
            while not osp.exists(sock) and time.time() < deadline:
                time.sleep(0.1)
    deadline = time.time() + START_TIMEOUT_S
    while time.time() < deadline:
        dead = [n for n, p in cluster.procs.items() if p.poll() is not None]
        if dead:
            return cluster, f'{", ".join(dead)} exited at start'
        if cluster.node_state() == 'idle':
            return cluster, None
        time.sleep(0.5)
    return cluster, (f'node not idle after {START_TIMEOUT_S} s '
                     f'(sinfo: {cluster.node_state()!r})')


#: set by ``.ci/run`` when it could not install slurm-wlm and munge (not
#: root, no apt-get, the install failed): the reason the slurm tests skip
CI_SKIP_REASON_ENV = 'MMCASP_SLURM_SKIP_REASON'


def in_ci() -> bool:
    """Whether this is a CI run (``CI`` set to true, as ``.ci/run`` and
    the usual CI services do)."""
    return os.environ.get('CI', '').strip().lower() in ('1', 'true', 'yes')


def not_available(reason: str) -> None:
    """Skip the slurm tests for ``reason``; in CI fail instead, unless
    ``.ci/run`` said why it could not install slurm (then skip with that):
    CI installs slurm, so one that is missing or broken there is a failure
    of the run, not a reason to test less."""
    if in_ci() and not os.environ.get(CI_SKIP_REASON_ENV):
        pytest.fail(
            f'CI=true: {reason} (.ci/run installs slurm-wlm and munge; '
            f'where it cannot, it sets {CI_SKIP_REASON_ENV} and the slurm '
            'tests skip)',
            pytrace=False)
    extra = os.environ.get(CI_SKIP_REASON_ENV)
    pytest.skip(reason + (f' ({extra})' if extra else ''))


@pytest.fixture(scope='module')
def slurm_cluster(tmp_path_factory):
    """A running one-node cluster with partition ``cpu`` of all CPUs.

    Skipped, with the reason, where we are not root (slurmd starts the
    tasks; ``.ci/run`` does not install slurm then either). Where slurm-wlm
    and munge are not installed, or the daemons do not come up (the reason
    with their logs): skipped, but in CI (``CI=true``) failed unless
    ``.ci/run`` said why it could not install slurm
    (:func:`not_available`)."""
    if os.geteuid() != 0:
        pytest.skip('a private slurmd must run as root here')
    missing = [b for b in SLURM_BINARIES if _which(b) is None]
    if missing:
        not_available(f'slurm not installed (no {", ".join(missing)}): '
                      'apt-get install slurm-wlm munge')
    # short path: slurm and munge keep socket paths under ~100 characters
    root = str(tmp_path_factory.mktemp('slurm'))
    cluster, problem = _start(root, PARTITION)
    if problem:
        logs = cluster.logs()
        cluster.stop()
        not_available(f'private slurm did not start: {problem}{logs}')
    yield cluster
    cluster.stop()

"""What a job's command sees: its scheduler's variables over the launch-time environment,
never the launching shell's scheduler variables (local executor; Slurm is in test_slurm_env.py)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

from snaptui.engine.jobside.jobenv import command_environment, submission_unset, task_scheduler_vars
from snaptui.engine.states import JobState
from tests.conftest import git, wait_sweep_done, write_sweep

ENV_DUMP = textwrap.dedent('''\
    import json, os
    rank = os.environ.get("SLURM_PROCID", "x")
    with open(os.path.join(os.environ["SNAPTUI_JOB_DIR"], f"env-{rank}.json"), "w") as f:
        json.dump(dict(os.environ), f)
''')


def add_env_dump(repo: Path) -> None:
    (repo / "envdump.py").write_text(ENV_DUMP)
    git(repo, "add", "envdump.py")
    git(repo, "commit", "-qm", "env dump")


def dumped_env(job) -> dict:
    return json.loads(next(Path(job.attempt.log_dir).glob("env-*.json")).read_text())


def test_precedence_launch_then_task_then_profile_and_sweep():
    launch = {"PATH": "/bin", "SLURM_JOB_ID": "77", "SLURM_NTASKS": "4", "SRUN_CPUS_PER_TASK": "2",
              "CUDA_VISIBLE_DEVICES": "3", "SLURM_CONF": "/etc/x.conf", "SBATCH_ACCOUNT": "lab", "FOO": "shell"}
    task = {"SLURM_JOB_ID": "5", "SLURM_PROCID": "1"}
    env = command_environment(launch, task, {"FOO": "sweep", "SLURM_PROCID": "9"})
    assert env == {"PATH": "/bin", "SLURM_CONF": "/etc/x.conf", "SBATCH_ACCOUNT": "lab", "SLURM_JOB_ID": "5",
                   "FOO": "sweep", "SLURM_PROCID": "9"}
    assert submission_unset(launch) == ["CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID", "SLURM_NTASKS",
                                        "SRUN_CPUS_PER_TASK"]


def test_local_task_owns_only_submitits_variables():
    # a local task inherits the agent's environment: an salloc shell's SLURM_* there is not the task's
    environ = {"SLURM_JOB_ID": "77", "SUBMITIT_LOCAL_JOB_ID": "123", "CUDA_VISIBLE_DEVICES": ""}
    assert task_scheduler_vars(environ, "local") == {"SUBMITIT_LOCAL_JOB_ID": "123"}
    assert task_scheduler_vars(environ, "slurm") == environ


def test_local_job_sees_submitit_and_not_the_launching_shells_allocation(engine, monkeypatch):
    add_env_dump(engine.repo_root)
    # as if launched from inside an salloc: the agent and the launch both inherit these
    monkeypatch.setenv("SLURM_JOB_ID", "999999")
    monkeypatch.setenv("SLURM_NTASKS", "8")
    monkeypatch.setenv("PMI_RANK", "3")
    monkeypatch.setenv("FROM_SHELL", "shell")
    monkeypatch.setenv("OVERRIDDEN", "shell")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5")
    path = write_sweep(engine.repo_root, '''
        name = "env"
        command = ["python", "envdump.py"]
        [grid]
        x = [1, 2]
        [env]
        OVERRIDDEN = "sweep"
    ''')
    sweep = engine.launch(engine.plan(path, profile="local"))
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 2}
    for job in engine.jobs(sweep.id):
        env = dumped_env(job)
        assert env["SUBMITIT_LOCAL_JOB_ID"] == job.attempt.executor_id
        assert env["SUBMITIT_EXECUTOR"] == "local"
        assert not {"SLURM_JOB_ID", "SLURM_NTASKS", "PMI_RANK"} & set(env)
        assert (env["FROM_SHELL"], env["OVERRIDDEN"]) == ("shell", "sweep")
        assert env["CUDA_VISIBLE_DEVICES"] == "5"  # no GPU request: the devices the shell made visible
        assert env["SNAPTUI_JOB_INDEX"] == str(job.index)


def test_pythonpath_points_into_the_snapshot_except_for_folders_the_snapshot_left_out(engine, monkeypatch):
    """A tracked lib/ on PYTHONPATH is imported from the snapshot; a git-ignored vendor/ (not in the snapshot)
    is imported from where it is, as it would be without snaptui."""
    repo = engine.repo_root
    (repo / "lib").mkdir()
    (repo / "lib" / "mylib.py").write_text("WHERE = 'lib'\n")
    (repo / "vendor" / "vendored").mkdir(parents=True)
    (repo / "vendor" / "vendored" / "__init__.py").write_text("WHERE = 'vendor'\n")
    (repo / ".gitignore").write_text((repo / ".gitignore").read_text() + "vendor/\n"
                                     if (repo / ".gitignore").exists() else "vendor/\n")
    (repo / "where.py").write_text(textwrap.dedent('''\
        import json, os, mylib, vendored
        with open(os.path.join(os.environ["SNAPTUI_JOB_DIR"], "where.json"), "w") as f:
            json.dump({"lib": mylib.__file__, "vendor": vendored.__file__}, f)
    '''))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "lib, vendored lib ignored")
    monkeypatch.setenv("PYTHONPATH", f"{repo / 'lib'}:{repo / 'vendor'}")
    sweep = engine.launch(engine.plan(write_sweep(repo, 'name = "pp"\ncommand = ["python", "where.py"]\n'),
                                      profile="local"))
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 1}
    [job] = engine.jobs(sweep.id)
    where = json.loads((Path(job.attempt.log_dir) / "where.json").read_text())
    code = Path(engine.sweep(sweep.id).workdir)
    assert code != repo and Path(where["lib"]) == code / "lib" / "mylib.py"
    assert Path(where["vendor"]) == repo / "vendor" / "vendored" / "__init__.py"


def test_a_local_command_gets_the_launching_shells_umask_and_ignores_slurms_usr2_warning(engine):
    """snaptui works under umask 077, the command under the launching shell's; SIGUSR2 (Slurm's time-limit
    warning, which kills a program that does not expect it) is ignored in the command, across exec."""
    import os
    import signal

    path = write_sweep(engine.repo_root, '''
        name = "proc"
        command = ["sh", "-c", "grep -E '^(Umask|SigIgn)' /proc/self/status > \\"$SNAPTUI_JOB_DIR/proc.txt\\""]
        [grid]
        x = [1]
    ''')
    before = os.umask(0o027)
    try:
        sweep = engine.launch(engine.plan(path, profile="local", no_snapshot=True))
    finally:
        os.umask(before)
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 1}
    job = engine.jobs(sweep.id)[0]
    status = dict(line.split(":\t") for line in (Path(job.attempt.log_dir) / "proc.txt").read_text().splitlines())
    assert status["Umask"].strip() == "0027"
    assert int(status["SigIgn"], 16) & (1 << (signal.SIGUSR2 - 1))

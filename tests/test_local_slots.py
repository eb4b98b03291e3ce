"""The local executor's host-wide cap and GPU pinning, read from the jobs' own start/end stamps."""
from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, wait_sweep_done, write_sweep

STAMPED = textwrap.dedent('''\
    import json, os, sys, time
    start = time.time()
    time.sleep(float(sys.argv[2]))
    record = {"start": start, "end": time.time(), "gpus": os.environ.get("CUDA_VISIBLE_DEVICES"),
              "ordinal": os.environ.get("GPU_DEVICE_ORDINAL")}
    with open(os.path.join(sys.argv[1], f"{os.getpid()}.json"), "w") as f:
        json.dump(record, f)
''')


def add_stamped(repo: Path) -> None:
    (repo / "stamped.py").write_text(STAMPED)
    git(repo, "add", "stamped.py")
    git(repo, "commit", "-qm", "stamped job")


def records(marks: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in marks.glob("*.json")]


def peak(spans: list[dict]) -> int:
    events = sorted([(r["start"], 1) for r in spans] + [(r["end"], -1) for r in spans])
    running = top = 0
    for _, step in events:
        running += step
        top = max(top, running)
    return top


def overlapping(spans: list[dict]):
    for i, a in enumerate(spans):
        for b in spans[i + 1:]:
            if a["start"] < b["end"] and b["start"] < a["end"]:
                yield a, b


def sweep_file(repo: Path, name: str, marks: Path, jobs: int, sleep: float = 1.5) -> Path:
    return write_sweep(repo, f'''
        name = "{name}"
        command = ["python", "stamped.py", "{marks}", "{sleep}"]
        [grid]
        i = "range({jobs})"
    ''', name=f"{name}.toml")


def test_three_sweeps_never_run_more_than_the_host_cap_together(engine, tmp_path):
    add_stamped(engine.repo_root)
    marks = tmp_path / "marks"
    marks.mkdir()
    sweeps = [engine.launch(engine.plan(sweep_file(engine.repo_root, f"s{i}", marks, 3), no_snapshot=True,
                                        sets=["max_parallel_jobs=3", "local.max_jobs=2"]))
              for i in range(3)]
    for sweep in sweeps:
        assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 3}
    spans = records(marks)
    assert len(spans) == 9
    assert peak(spans) == 2  # each sweep alone would allow 3, together 9


def test_local_gpu_jobs_each_get_their_own_devices_and_devices_cap_concurrency(engine, tmp_path, monkeypatch):
    add_stamped(engine.repo_root)
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")  # the machine's visible GPUs, as a user would set
    path = sweep_file(engine.repo_root, "gpu", marks, 4)
    sweep = engine.launch(engine.plan(path, no_snapshot=True, sets=["max_parallel_jobs=4", "gpus_per_node=1"]))
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 4}
    spans = records(marks)
    assert {r["gpus"] for r in spans} <= {"3", "5"} and all(r["gpus"] == r["ordinal"] for r in spans)
    assert peak(spans) == 2  # two devices: two at once, though max_parallel_jobs is 4
    assert all(a["gpus"] != b["gpus"] for a, b in overlapping(spans))


def test_two_gpus_per_job_from_a_configured_list(engine, tmp_path):
    add_stamped(engine.repo_root)
    marks = tmp_path / "marks"
    marks.mkdir()
    with open(engine.repo_root / "snaptui.toml", "a") as config:
        config.write('[local]\ngpus = ["0", "1", "2", "3"]\n')
    path = sweep_file(engine.repo_root, "gpu2", marks, 3)
    from snaptui.engine.api import Engine
    engine = Engine(engine.repo_root)
    sweep = engine.launch(engine.plan(path, no_snapshot=True, sets=["gpus_per_node=2"]))
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 3}
    spans = records(marks)
    assert all(len(r["gpus"].split(",")) == 2 for r in spans)
    for a, b in overlapping(spans):
        assert not set(a["gpus"].split(",")) & set(b["gpus"].split(","))
    assert peak(spans) <= 2


def test_gpus_asked_of_a_machine_without_any_is_refused_and_nothing_launched(git_repo):
    add_stamped(git_repo)
    sweep_file(git_repo, "nogpu", git_repo, 1)
    branches = git(git_repo, "branch", "--list")
    result = run_cli(["--batch", "nogpu.toml", "--set", "gpus_per_node=1"], cwd=git_repo,
                     env={"CUDA_VISIBLE_DEVICES": ""})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "gpus_per_node: asks for 1 GPU per job; this machine shows none" in result.stdout + result.stderr
    assert git(git_repo, "branch", "--list") == branches  # no snapshot branch
    assert run_cli(["status"], cwd=git_repo).stdout.count("nogpu") == 0
    assert not (git_repo / ".submitit").exists() or not any((git_repo / ".submitit").iterdir())


def test_zero_tasks_per_node_is_refused_before_anything_runs(git_repo):
    with open(git_repo / "snaptui.toml", "a") as config:
        config.write('[profiles.cluster]\nexecutor = "slurm"\npartition = "debug"\n')
    write_sweep(git_repo, 'name = "t0"\ncommand = ["python", "job.py"]\n')
    result = run_cli(["--batch", "sweep.toml", "--profile", "cluster", "--set", "tasks_per_node=0"], cwd=git_repo)
    assert result.returncode == 2
    assert "tasks_per_node: must be at least 1" in result.stdout + result.stderr
    assert subprocess.run(["git", "-C", str(git_repo), "branch", "--list", "snaptui/*"],
                          capture_output=True, text=True).stdout == ""

"""Issue 22, items 1, 2 and 8: a job sees the repository as it would without snaptui (ignored data is
linked, never copied) and everything it writes ends up in the repository by the time it is reported
finished. Real-shaped research repositories (gitignored data, a `.venv/`, checkpoints written to a
folder that does not exist yet), real git, real local jobs."""
from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, wait_until, write_sweep
from tests.test_results_land import unchanged, user_state

pytestmark = pytest.mark.timeout(240)

TRAIN = textwrap.dedent('''\
    """A trainer shaped like nanoGPT's: reads gitignored data, writes checkpoints and logs anywhere."""
    import os, sys
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    name = args["name"]
    data = open(os.path.join("data", "shakespeare", "train.bin"), "rb").read()
    meta = open(os.path.join("data", "shakespeare", "meta.pkl"), "rb").read()
    os.makedirs(os.path.join("out", name), exist_ok=True)          # out/ is gitignored, absent at launch
    with open(os.path.join("out", name, "ckpt.pt"), "wb") as f:
        f.write(data[:100] + name.encode())
    os.makedirs("logs", exist_ok=True)                              # /logs/ is gitignored, absent at launch
    with open(os.path.join("logs", name + ".log"), "w") as f:
        f.write(f"{name}: read {len(data)} bytes\\n")
    os.makedirs(os.path.join("results", name), exist_ok=True)       # not ignored, absent at launch
    with open(os.path.join("results", name, "metrics.json"), "w") as f:
        f.write('{"loss": 0.5}\\n')
    os.makedirs(os.path.join("empty", name), exist_ok=True)         # a folder left empty
    print(f"SNAPTUI_RESULT data_bytes={len(data)} meta_bytes={len(meta)}", flush=True)
''')


@pytest.fixture
def repo(git_repo):
    """The test repository, with nanoGPT's habits: `*.bin`/`*.pkl` data and a `.venv/` gitignored."""
    with open(git_repo / ".gitignore", "a") as f:
        f.write("*.bin\n*.pkl\nout/\n/logs/\n.venv/\n__pycache__/\n")
    (git_repo / "train.py").write_text(TRAIN)
    data = git_repo / "data" / "shakespeare"
    data.mkdir(parents=True)
    (data / "prepare.py").write_text("# downloads the text and writes train.bin, val.bin, meta.pkl\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "a trainer")
    (data / "train.bin").write_bytes(os.urandom(300_000))
    (data / "meta.pkl").write_bytes(b"vocab" * 10)
    site = git_repo / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    for i in range(30):
        (site / f"mod{i}.py").write_text(f"X = {i}\n")
    (git_repo / "__pycache__").mkdir()
    (git_repo / "__pycache__" / "train.cpython-311.pyc").write_bytes(b"\0" * 16)
    yield git_repo
    stop_everything(git_repo)


SWEEP = '''
    name = "nano"
    command = ["python", "train.py"]
    [grid]
    name = ["a", "b", "c", "d"]
'''


def test_gitignored_data_is_linked_read_by_every_job_and_named_at_launch(repo):
    before = user_state(repo)
    sweep_file = write_sweep(repo, SWEEP)
    dry = run_cli(["--batch", str(sweep_file), "--dry-run"], cwd=repo)
    assert dry.returncode == 0, dry.stderr
    line = next(ln for ln in dry.stdout.splitlines() if ln.startswith("linked from the repository:"))
    assert "data/shakespeare/train.bin (ignored, 293.0 KB)" in line and ".venv/ (ignored" in line
    assert "__pycache__" not in line and ".snaptui" not in line and ".submitit" not in line
    done = run_cli(["--batch", str(sweep_file)], cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "linked from the repository: " in done.stdout and "data/shakespeare/meta.pkl (ignored" in done.stdout
    engine = Engine(repo)
    (sweep,) = engine.sweeps()
    worktree = Path(sweep.snapshot["worktree"])
    for rel in ("data/shakespeare/train.bin", "data/shakespeare/meta.pkl", ".venv"):
        assert os.readlink(worktree / rel) == str(repo / rel)  # linked, never copied
    assert not os.path.lexists(worktree / "__pycache__" / "train.cpython-311.pyc")
    assert not (worktree / "data" / "shakespeare").is_symlink()  # it holds tracked code
    tree = git(repo, "ls-tree", "-r", "--name-only", sweep.snapshot["commit"]).split()
    assert not any(p.endswith((".bin", ".pkl")) or p.startswith(".venv") for p in tree)
    for job in engine.jobs(sweep.id):
        assert job.state.value == "COMPLETED", engine.log_paths(job)[1].read_text()
        assert job.attempt.results == {"data_bytes": 300_000, "meta_bytes": 50}
    assert unchanged(before, user_state(repo))


def test_what_jobs_write_anywhere_is_in_the_repository_when_they_finish_and_after_gc(repo):
    engine, before = Engine(repo), user_state(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, SWEEP)))
    wait_sweep_done(engine, sweep.id)
    worktree = Path(sweep.snapshot["worktree"])
    names = ("a", "b", "c", "d")

    def in_repository() -> None:
        for name in names:
            assert (repo / "out" / name / "ckpt.pt").read_bytes().endswith(name.encode())
            assert (repo / "logs" / f"{name}.log").read_text() == f"{name}: read 300000 bytes\n"
            assert (repo / "results" / name / "metrics.json").read_text() == '{"loss": 0.5}\n'
            assert (repo / "empty" / name).is_dir() and not any((repo / "empty" / name).iterdir())

    in_repository()  # by the time the sweep is reported finished
    assert stat.S_IMODE((repo / "out").stat().st_mode) == 0o755  # the user's umask (0022), not 0700
    assert stat.S_IMODE((repo / "results" / "a").stat().st_mode) == 0o755
    for folder in ("outputs", "multirun"):
        assert not os.path.lexists(repo / folder)  # no job used them: never made
    assert all(job.attempt.reason is None for job in engine.jobs(sweep.id))
    gc = run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=repo)
    assert gc.returncode == 0, gc.stdout + gc.stderr
    assert not worktree.exists()
    in_repository()  # gc deleted nothing that is not also in the repository
    assert unchanged(before, user_state(repo))


def test_jobs_of_a_sweep_writing_the_same_file_end_with_the_last_writers_and_deletions_follow(repo):
    (repo / "snaptui.toml").write_text((repo / "snaptui.toml").read_text().replace(
        "max_parallel_jobs = 4", "max_parallel_jobs = 1"))
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "same"
        command = ["sh", "-c",
                   "mkdir -p shared ckpt && echo $0 > shared/last.txt && touch ckpt/$0.pt && rm -f ckpt/$1.pt",
                   "{i}", "{prev}"]
        override_style = "placeholder"
        [[zip]]
        i = [0, 1, 2]
        prev = ["none", "0", "1"]
    ''')))
    wait_sweep_done(engine, sweep.id)
    assert [j.state.value for j in engine.jobs(sweep.id)] == ["COMPLETED"] * 3
    assert (repo / "shared" / "last.txt").read_text() == "2\n"  # as without snaptui: the last writer's
    assert sorted(p.name for p in (repo / "ckpt").iterdir()) == ["2.pt"]  # each job removed the one before
    assert not list(repo.glob("shared/*~snaptui*"))


def test_a_file_changed_in_the_repository_after_launch_is_kept_and_the_jobs_copy_goes_beside_it(repo, tmp_path):
    (repo / "report.txt").write_text("the report as launched\n")       # untracked code: in the snapshot
    (repo / "notes.txt").write_text("notes as launched\n")
    gate = tmp_path / "gate"
    gate.mkdir()
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, f'''
        name = "clash"
        command = ["sh", "-c", """while [ ! -e {gate}/go ]; do sleep 0.05; done; echo by-the-job > report.txt;
                                  echo job-notes > notes.txt; mkdir -p out; echo job > out/x.txt"""]
    ''')))
    wait_until(lambda: engine.jobs(sweep.id)[0].state.value == "RUNNING", message="the job to start")
    (repo / "report.txt").write_text("edited by the user meanwhile\n")
    (repo / "out").mkdir()
    (repo / "out" / "x.txt").write_text("the user's x\n")
    (gate / "go").touch()
    wait_sweep_done(engine, sweep.id)
    job = engine.jobs(sweep.id)[0]
    assert job.state.value == "COMPLETED"
    copy, out_copy = f"report~snaptui-{sweep.id}.txt", f"out/x~snaptui-{sweep.id}.txt"
    assert (repo / "report.txt").read_text() == "edited by the user meanwhile\n"   # neither is lost
    assert (repo / copy).read_text() == "by-the-job\n"
    assert (repo / "out" / "x.txt").read_text() == "the user's x\n"
    assert (repo / out_copy).read_text() == "job\n"
    assert (repo / "notes.txt").read_text() == "job-notes\n"  # unchanged since launch: the job's, as without snaptui
    assert f"kept {copy} beside report.txt" in job.attempt.reason
    status = run_cli(["status", str(sweep.id)], cwd=repo)
    assert f"kept {copy} beside report.txt" in " ".join(status.stdout.split())
    show = run_cli(["show", f"{sweep.id}/0"], cwd=repo)
    assert copy in show.stdout
    gc = run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=repo)
    assert gc.returncode == 0, gc.stdout + gc.stderr
    assert f"kept {copy} beside report.txt" in " ".join(gc.stdout.split())
    assert (repo / copy).read_text() == "by-the-job\n" and not Path(sweep.snapshot["worktree"]).exists()


def test_gc_lands_what_a_job_left_in_the_worktree_before_removing_it(repo):
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, 'name = "k"\ncommand = ["true"]\n')))
    wait_sweep_done(engine, sweep.id)
    worktree = Path(sweep.snapshot["worktree"])
    (worktree / "wandb" / "run-1").mkdir(parents=True)  # as a job killed before it could land would leave
    (worktree / "wandb" / "run-1" / "log.txt").write_text("metrics\n")
    dry = run_cli(["snapshots", "gc", "--older-than", "0s", "--dry-run"], cwd=repo)
    assert "would move wandb/run-1/log.txt back into the repository" in dry.stdout
    assert not (repo / "wandb").exists()
    done = run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "wandb" / "run-1" / "log.txt").read_text() == "metrics\n" and not worktree.exists()


def test_a_worktree_on_another_filesystem_lands_copies(repo, tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(repo).st_dev:
        pytest.skip("needs /dev/shm on a filesystem of its own")
    root = shm / f"snaptui-test-{os.getpid()}-{tmp_path.name}"
    text = (repo / "snaptui.toml").read_text()
    (repo / "snaptui.toml").write_text(text.replace(str(tmp_path / "worktrees"), str(root)))
    try:
        engine = Engine(repo)
        sweep = engine.launch(engine.plan(write_sweep(repo, SWEEP)))
        wait_sweep_done(engine, sweep.id)
        assert all(j.state.value == "COMPLETED" for j in engine.jobs(sweep.id))
        ckpt = repo / "out" / "a" / "ckpt.pt"
        assert ckpt.read_bytes().endswith(b"a") and ckpt.stat().st_nlink == 1  # a copy: no link across
        assert run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=repo).returncode == 0
        assert ckpt.read_bytes().endswith(b"a")
    finally:
        stop_everything(repo)
        import shutil
        shutil.rmtree(root, ignore_errors=True)

"""Warm slots (`[local] preload`): jobs of `python script.py` start as forks of a slot that imported the
preload once, and each is still its own process running the snapshot's code."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.jobside.manifest import read_manifest
from snaptui.engine.procs import is_alive
from snaptui.engine.states import JobState
from tests.conftest import git, stop_everything, wait_sweep_done, wait_until, write_sweep

pytestmark = pytest.mark.timeout(300)

APP = '''
import sys
preloaded = "decimal" in sys.modules   # before any import of its own: a fresh interpreter has not loaded it
import json, os, pathlib, time
args = dict(a.split("=", 1) for a in sys.argv[1:])
gate = pathlib.Path(os.environ["GATE"])
while not gate.exists():
    time.sleep(0.01)
import helper                          # the snapshot's copy: edited in the repository after the launch
seen = getattr(json, "SEEN_BY_A_JOB", None)
json.SEEN_BY_A_JOB = args["i"]         # a global of a preloaded module: the next job must not see it
record = {"preloaded": preloaded, "version": helper.VERSION, "seen": seen, "cwd": os.getcwd(),
          "sweep_var": os.environ.get("SWEEP_VAR"), "index": os.environ.get("SNAPTUI_JOB_INDEX"),
          "name": __name__, "argv": sys.argv, "pid": os.getpid(), "pgid": os.getpgid(0)}
(pathlib.Path(os.environ["OUT"]) / f"{args['i']}.json").write_text(json.dumps(record))
if args.get("child") == "1":
    import subprocess
    kid = subprocess.Popen(["sleep", "300"])
    (pathlib.Path(os.environ["OUT"]) / "child.pid").write_text(str(kid.pid))
    time.sleep(300)
'''


@pytest.fixture
def warm_repo(git_repo, tmp_path):
    (git_repo / "app.py").write_text(APP)
    (git_repo / "helper.py").write_text("VERSION = 1\n")
    with open(git_repo / "snaptui.toml", "a") as config:
        config.write('[local]\npreload = ["json", "decimal"]\n')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "app")
    (tmp_path / "out").mkdir()
    yield git_repo
    stop_everything(git_repo)


def launch(repo, tmp_path, grid: str, extra: str = "", command: str = '["python", "app.py"]'):
    engine = Engine(repo)
    path = write_sweep(repo, f'''
        name = "warm"
        command = {command}
        {extra}
        [env]
        SWEEP_VAR = "from the sweep"
        GATE = "{tmp_path / 'gate'}"
        OUT = "{tmp_path / 'out'}"
        [grid]
        {grid}
    ''')
    return engine, engine.launch(engine.plan(path, sets=["max_parallel_jobs=1"]))


def records(tmp_path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")}


def test_a_warm_job_runs_the_snapshot_s_code_in_its_own_process_and_leaves_nothing_to_the_next(warm_repo, tmp_path):
    engine, sweep = launch(warm_repo, tmp_path, 'i = ["a", "b", "c"]')
    (warm_repo / "helper.py").write_text("VERSION = 2\n")  # after the launch: not the snapshot's code
    (tmp_path / "gate").touch()
    done = wait_sweep_done(engine, sweep.id)
    assert done.counts[JobState.COMPLETED] == 3, [j.attempt.reason for j in engine.jobs(sweep.id)]
    found = records(tmp_path)
    worktree = engine.sweep(sweep.id).snapshot["worktree"]
    for job in engine.jobs(sweep.id):
        record = found[job.params["i"]]
        assert record["preloaded"], "the job started as a fresh interpreter, not from the warm slot"
        assert record["version"] == 1 and record["name"] == "__main__"
        assert record["seen"] is None, f"job {job.index} saw a global set by job {record['seen']}"
        assert record["cwd"] == worktree and record["sweep_var"] == "from the sweep"
        assert record["index"] == str(job.index) and record["argv"] == ["app.py", f"i={job.params['i']}"]
        assert record["pgid"] == record["pid"]  # its own process group: signals and cancel reach it alone
        warm = read_manifest(job.attempt.log_dir)["command"]["warm"]
        assert warm == {"forked": True, "preload": ["json", "decimal"], "why_not": None}
    assert len({r["pid"] for r in found.values()}) == 3


def test_a_python_dash_m_job_runs_the_snapshot_s_module_as_main_from_the_warm_slot(warm_repo, tmp_path):
    (warm_repo / "apptool.py").write_text(APP)
    git(warm_repo, "add", "-A")
    git(warm_repo, "commit", "-qm", "the app as a module")
    engine, sweep = launch(warm_repo, tmp_path, 'i = ["a", "b"]', command='["python", "-m", "apptool"]')
    (warm_repo / "helper.py").write_text("VERSION = 2\n")  # after the launch: not the snapshot's code
    (tmp_path / "gate").touch()
    assert wait_sweep_done(engine, sweep.id).counts[JobState.COMPLETED] == 2
    worktree = engine.sweep(sweep.id).snapshot["worktree"]
    for name, record in records(tmp_path).items():
        assert record["preloaded"] and record["name"] == "__main__" and record["seen"] is None
        assert record["version"] == 1 and record["cwd"] == worktree
        assert record["argv"] == [f"{worktree}/apptool.py", f"i={name}"]  # as `python -m` gives it


def test_cancelling_a_warm_job_ends_it_and_its_children(warm_repo, tmp_path):
    engine, sweep = launch(warm_repo, tmp_path, 'i = ["a"]\nchild = ["1"]')
    (tmp_path / "gate").touch()
    child = wait_until(lambda: (p := tmp_path / "out" / "child.pid").exists() and int(p.read_text()), 120,
                       message="the job's child")
    job_pid = records(tmp_path)["a"]["pid"]
    cancelled = engine.cancel(engine.jobs(sweep.id))
    assert [j.state for j in cancelled] == [JobState.CANCELLED]
    assert records(tmp_path)["a"]["preloaded"]
    wait_until(lambda: not is_alive({"pid": child}) and not is_alive({"pid": job_pid}), 30,
               message="the job and its child to be gone")


def test_a_preload_of_the_project_s_own_code_starts_the_job_fresh_and_says_why(warm_repo, tmp_path):
    with open(warm_repo / "snaptui.toml") as config:
        text = config.read()
    (warm_repo / "snaptui.toml").write_text(text.replace('preload = ["json", "decimal"]', 'preload = ["helper"]'))
    git(warm_repo, "commit", "-qam", "preload the project's module")
    engine, sweep = launch(warm_repo, tmp_path, 'i = ["a"]')
    (tmp_path / "gate").touch()
    done = wait_sweep_done(engine, sweep.id)
    assert done.counts[JobState.COMPLETED] == 1
    job = engine.jobs(sweep.id)[0]
    assert not records(tmp_path)["a"]["preloaded"]
    warm = read_manifest(job.attempt.log_dir)["command"]["warm"]
    assert not warm["forked"] and "the project's own code" in warm["why_not"]
    stdout, stderr = engine.log_paths(job.attempt)
    assert "started as a fresh process, not from the warm slot: preload 'helper' is the project's own code" \
        in stderr.read_text()


def test_a_preload_that_starts_a_thread_at_import_is_not_forked(tmp_path):
    """fork copies only the forking thread: a preload that started one makes the job a fresh process."""
    (tmp_path / "threaded.py").write_text("import threading, time\n"
                                          "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    (tmp_path / "plain.py").write_text("VALUE = 1\n")
    code = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from snaptui.engine.jobside import warm
        print(warm._preload(("plain",), []))
        print(warm._preload(("threaded",), []))
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "None"
    assert "importing threaded started 1 thread(s)" in out[1], out


STALE_APP = '''
import json, os, pathlib, sys
preloaded = "stalepkg" in sys.modules   # before its import: only a warm slot has it already
import stalepkg
record = {"preloaded": preloaded, "version": stalepkg.VERSION, "slot": os.getppid()}
(pathlib.Path(os.environ["OUT"]) / f"{sys.argv[1].split('=')[1]}.json").write_text(json.dumps(record))
'''


@pytest.fixture
def site_repo(git_repo, tmp_path, monkeypatch):
    """A repository whose app imports `stalepkg`, a package installed in a folder on the agent's PYTHONPATH."""
    (tmp_path / "site" / "stalepkg").mkdir(parents=True)
    (tmp_path / "site" / "stalepkg" / "__init__.py").write_text("VERSION = 1\n")
    (tmp_path / "site" / "threaded.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))   # the agent's, so its slots' and the jobs'
    (git_repo / "app.py").write_text(STALE_APP)
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "app")
    (tmp_path / "out").mkdir()
    yield git_repo
    stop_everything(git_repo)


def set_preload(repo, modules: list[str]) -> None:
    text = (repo / "snaptui.toml").read_text().split("[local]")[0]
    (repo / "snaptui.toml").write_text(f"{text}[local]\npreload = {json.dumps(modules)}\n")
    git(repo, "commit", "-qam", "preload")


def sweep_one_by_one(engine, repo, tmp_path, names: list[str]) -> dict:
    path = write_sweep(repo, f'''
        name = "slots"
        command = ["python", "app.py"]
        [env]
        OUT = "{tmp_path / 'out'}"
        [grid]
        name = {json.dumps(names)}
    ''')
    launched = engine.launch(engine.plan(path, sets=["max_parallel_jobs=1"]))
    wait_sweep_done(engine, launched.id)
    jobs = {job.params["name"]: job for job in engine.jobs(launched.id)}
    assert all(job.state == JobState.COMPLETED for job in jobs.values()), jobs
    return jobs


def test_a_preload_changed_on_disk_between_sweeps_runs_the_job_fresh_and_retires_the_slot(site_repo, tmp_path):
    """`pip install -U` between two sweeps: an idle warm slot still holds the old code; the next job must not
    run it. It starts fresh and says why, and the job after it is warm again, from a new slot."""
    set_preload(site_repo, ["stalepkg"])
    engine = Engine(site_repo)
    sweep_one_by_one(engine, site_repo, tmp_path, ["a"])
    assert records(tmp_path)["a"]["preloaded"] and records(tmp_path)["a"]["version"] == 1
    (tmp_path / "site" / "stalepkg" / "__init__.py").write_text("VERSION = 22\n")   # upgraded while the slot idles
    jobs = sweep_one_by_one(engine, site_repo, tmp_path, ["b", "c"])
    seen = records(tmp_path)
    assert seen["b"]["version"] == 22 and not seen["b"]["preloaded"], seen
    warm = read_manifest(jobs["b"].attempt.log_dir)["command"]["warm"]
    assert not warm["forked"] and "module stalepkg" in warm["why_not"] and "changed on disk" in warm["why_not"]
    stderr = engine.log_paths(jobs["b"].attempt)[1].read_text()
    assert "started as a fresh process, not from the warm slot: module stalepkg" in stderr
    assert seen["c"]["version"] == 22 and seen["c"]["preloaded"], seen   # warm again ...
    assert seen["c"]["slot"] != seen["a"]["slot"]                          # ... from a new slot
    assert read_manifest(jobs["c"].attempt.log_dir)["command"]["warm"]["forked"]


def test_a_slot_left_with_threads_by_one_sweep_s_preload_is_replaced_for_another_preload(site_repo, tmp_path):
    """A preload that starts a thread makes its jobs fresh; a later sweep with a safe preload gets a new,
    clean slot after one fresh job, instead of a slot that can never fork again."""
    set_preload(site_repo, ["threaded", "stalepkg"])
    engine = Engine(site_repo)
    jobs = sweep_one_by_one(engine, site_repo, tmp_path, ["a"])
    assert "started 1 thread(s)" in read_manifest(jobs["a"].attempt.log_dir)["command"]["warm"]["why_not"]
    set_preload(site_repo, ["stalepkg"])
    jobs = sweep_one_by_one(engine, site_repo, tmp_path, ["b", "c"])
    seen = records(tmp_path)
    assert not seen["b"]["preloaded"] and seen["b"]["slot"] == seen["a"]["slot"], seen
    assert "an earlier preload of this slot left it unsafe to fork" in \
        read_manifest(jobs["b"].attempt.log_dir)["command"]["warm"]["why_not"]
    assert seen["c"]["preloaded"] and seen["c"]["slot"] != seen["a"]["slot"], seen

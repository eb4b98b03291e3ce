"""The real `snaptui` command: batch exit codes, dry runs, bad input, and the scripting verbs."""
from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, wait_sweep_done, wait_until, write_sweep

pytestmark = pytest.mark.timeout(240)

OK_SWEEP = '''
    name = "ok"
    command = ["python", "job.py"]
    [grid]
    result = [1, 2, 3]
'''


def refs_and_branches(repo):
    return git(repo, "for-each-ref", "--format=%(refname)"), git(repo, "worktree", "list", "--porcelain")


def test_batch_exits_0_when_every_job_completes_and_prints_a_summary(git_repo):
    write_sweep(git_repo, OK_SWEEP)
    result = run_cli(["--batch", "sweep.toml"], cwd=git_repo)
    assert result.returncode == 0, result.stderr
    assert "launched sweep 1 ok: 3 jobs on local (profile local)" in result.stdout
    assert "sweep 1 ok: 3 COMPLETED in" in result.stdout


def test_batch_progress_in_a_log_is_a_line_per_change_of_states_not_per_job(git_repo):
    """Not on a terminal (cron, CI), 16 jobs ending one by one printed 16 progress lines; now a line comes
    when a state appears or goes, or every PLAIN_EVERY_S (10 s), and the last one gives the final counts.
    (On a loaded machine 'running' may go and come back between two jobs: each such change is a line.)"""
    import re

    write_sweep(git_repo, 'name = "many"\ncommand = ["python", "job.py"]\n[grid]\nx = "range(16)"\n')
    result = run_cli(["--batch", "sweep.toml", "--no-snapshot"], cwd=git_repo)
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stdout.splitlines() if line.startswith("sweep 1 many  ")]
    assert progress[-1].startswith("sweep 1 many  16/16 done  16 completed")

    def states(line: str) -> set[str]:
        return set(re.findall(r"\d+ (pending|running|completed|failed)", line))

    def elapsed(line: str) -> int:
        minutes, seconds = re.search(r"elapsed (?:(\d+)m ?)?(\d+)s", line).groups()
        return int(minutes or 0) * 60 + int(seconds)

    for before, after in zip(progress, progress[1:-1]):
        assert states(before) != states(after) or elapsed(after) - elapsed(before) >= 9, "\n".join(progress)


def test_batch_exits_1_when_any_job_fails_and_names_it(git_repo):
    write_sweep(git_repo, '''
        name = "mixed"
        command = ["python", "job.py"]
        [grid]
        code = [0, 7]
    ''')
    result = run_cli(["--batch", "sweep.toml", "--no-snapshot"], cwd=git_repo)
    assert result.returncode == 1
    assert "FAILED    1/1 code=7: exit 7" in result.stdout and "why: 1 exit 7" in result.stdout
    assert "1 COMPLETED | 1 FAILED" in result.stdout


@pytest.mark.parametrize("sweep_text, config_text, expected", [
    ('name = "x"\ncomand = ["python"]\n', None, "sweep.toml:2: comand: unknown key\n    hint: did you mean 'command'?"),
    ('name = "x"\ncommand = ["python", "job.py"]\n[grid]\nlr = []\n', None, "sweep.toml:4: grid.lr: is empty"),
    ('name = "x"\ncommand = ["python", "job.py"]\nprofile = "gpu"\n', None, "profile: unknown profile 'gpu'"),
    ('name = "x"\ncommand = ["python", "missing.py"]\n', None, "command: 'missing.py' does not exist"),
    ('name = "x"\ncommand = ["no-such-program-xyz"]\n', None, "command: 'no-such-program-xyz' is not found on PATH"),
    ('name = "x"\ncommand = ["python", "job.py"]\n', '[profiles.local]\nmax_parallel_jobs = "4"\n',
     "snaptui.toml:2: profiles.local.max_parallel_jobs: must be an integer, got str '4'"),
])
def test_bad_input_exits_2_with_file_line_key_and_leaves_nothing(git_repo, sweep_text, config_text, expected):
    write_sweep(git_repo, sweep_text)
    if config_text:
        (git_repo / "snaptui.toml").write_text(config_text)
    before = refs_and_branches(git_repo)
    result = run_cli(["--batch", "sweep.toml"], cwd=git_repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) < 24  # one screen
    assert refs_and_branches(git_repo) == before
    if (git_repo / ".snaptui" / "state.db").exists():
        assert Engine(git_repo).sweeps() == []


def test_dry_run_prints_jobs_and_effective_config_and_runs_nothing(git_repo):
    write_sweep(git_repo, OK_SWEEP)
    result = run_cli(["--batch", "sweep.toml", "--dry-run", "--set", "timeout_min=3"], cwd=git_repo)
    assert result.returncode == 0
    assert "ok: 3 jobs, profile local (local)" in result.stdout
    assert "python job.py result=3" in result.stdout
    assert "timeout_min = 3" in result.stdout
    assert not (git_repo / ".submitit").exists()
    assert "snaptui/" not in git(git_repo, "branch", "--list", "snaptui/*")


def test_no_wait_returns_the_sweep_id_and_status_results_logs_show_work(git_repo):
    write_sweep(git_repo, OK_SWEEP)
    launched = run_cli(["--batch", "sweep.toml", "--no-wait", "--no-snapshot"], cwd=git_repo)
    assert launched.returncode == 0
    sweep_id = int(launched.stdout.strip().splitlines()[-1])
    engine = Engine(git_repo)
    wait_sweep_done(engine, sweep_id)
    status = run_cli(["status"], cwd=git_repo)
    assert "3/3 done  3 completed" in status.stdout and "ok" in status.stdout
    detail = run_cli(["status", "ok"], cwd=git_repo)
    assert f"{sweep_id}/2" in detail.stdout and "result=3" in detail.stdout and "score=3" in detail.stdout
    as_json = json.loads(run_cli(["results", str(sweep_id), "--json"], cwd=git_repo).stdout)
    assert [(r["result"], r["state"], r["score"]) for r in as_json] == [(1, "COMPLETED", 1), (2, "COMPLETED", 2),
                                                                       (3, "COMPLETED", 3)]
    as_csv = run_cli(["results", "ok", "--csv"], cwd=git_repo).stdout.splitlines()
    assert as_csv[0] == "job,result,state,cause,score" and as_csv[1] == f"{sweep_id}/0,1,COMPLETED,completed,1"
    log = run_cli(["logs", f"{sweep_id}/1"], cwd=git_repo)
    assert 'start {"result": "2"}' in log.stdout
    shown = json.loads(run_cli(["show", f"{sweep_id}/1"], cwd=git_repo).stdout)
    assert shown["exit_code"] == 0 and shown["overrides"] == {"result": 2} and shown["state"] == "COMPLETED"
    assert shown["argv"] == ["python", "job.py", "result=2"] and shown["config"]["profile"] == "local"


def test_logs_follow_streams_until_the_job_ends(git_repo):
    write_sweep(git_repo, 'name = "f"\ncommand = ["python", "job.py", "sleep=2"]\n')
    sweep_id = int(run_cli(["launch", "sweep.toml", "--no-snapshot"], cwd=git_repo).stdout.split()[-1])
    followed = run_cli(["logs", f"{sweep_id}/0", "-f"], cwd=git_repo, timeout=60)
    assert followed.returncode == 0
    assert followed.stdout.index("start") < followed.stdout.index("end")


def test_ctrl_c_while_waiting_cancels_nothing_and_prints_the_sweep_id(git_repo):
    write_sweep(git_repo, 'name = "long"\ncommand = ["python", "job.py", "sleep=4"]\n')
    proc = subprocess.Popen([sys.executable, "-m", "snaptui", "--batch", "sweep.toml", "--no-snapshot"],
                            cwd=git_repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    engine_ready = lambda: (git_repo / ".snaptui" / "state.db").exists() and Engine(git_repo).sweeps()
    wait_until(engine_ready, 30, message="the sweep to be launched")
    engine = Engine(git_repo)
    wait_until(lambda: engine.jobs(1)[0].state == JobState.RUNNING, 30, message="the job to run")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "The jobs keep running: snaptui status 1" in out
    assert wait_sweep_done(engine, 1).counts == {JobState.COMPLETED: 1}


def test_unknown_job_and_sweep_references_are_clear_errors(git_repo):
    result = run_cli(["status", "nope"], cwd=git_repo)
    assert result.returncode == 1 and "no sweep named 'nope'" in result.stderr
    result = run_cli(["logs", "3"], cwd=git_repo)
    assert result.returncode == 1 and "write SWEEP/INDEX" in result.stderr


def test_outside_a_git_repository_the_error_says_so(tmp_path):
    result = run_cli(["status"], cwd=tmp_path)
    assert result.returncode == 1 and "not inside a git repository" in result.stderr


def test_the_console_script_of_an_install_made_before_the_cli_package_still_runs(git_repo):
    """pip wrote `from snaptui.cli import main; sys.exit(main())` into .venv/bin/snaptui before the CLI
    became a package; a `git pull` without reinstalling must not break the command."""
    import subprocess
    import sys
    old_script = "import sys\nfrom snaptui.cli import main\nsys.argv = ['snaptui', 'status']\nsys.exit(main())\n"
    result = subprocess.run([sys.executable, "-c", old_script], cwd=git_repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "no sweeps yet" in result.stdout

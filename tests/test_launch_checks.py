"""Issue 12, item 6: what can be checked is checked before the snapshot and in --dry-run:
the command, the job count from the grid's shape, values and parameter names."""
from __future__ import annotations

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.sweep.spec import load_sweep_text
from tests.conftest import git, run_cli, write_sweep
from tests.test_results_land import unchanged, user_state

pytestmark = pytest.mark.timeout(120)


def nothing_launched(repo) -> bool:
    return git(repo, "branch", "--list", "snaptui/*") == "" and "snaptui" not in git(repo, "worktree", "list") \
        and Engine(repo).store.sweeps(statuses=("active", "launching")) == []


@pytest.mark.parametrize("command,message", [
    ('["pythn", "job.py"]', "'pythn' is not found on PATH"),
    ('["python", "jb.py"]', "'jb.py' does not exist"),
    ('["./missing.sh"]', "'./missing.sh' does not exist"),
    ('["python", "generated.py"]', "'generated.py' is ignored by git, so it is not in the snapshot"),
])
def test_a_command_that_cannot_run_is_refused_before_the_snapshot_and_in_dry_run(git_repo, command, message):
    (git_repo / "generated.py").write_text("print('made by a build step')\n")
    with open(git_repo / ".gitignore", "a") as fh:
        fh.write("generated.py\n")
    before = user_state(git_repo)
    sweep = write_sweep(git_repo, f'name = "typo"\ncommand = {command}\n')
    for extra in (["--dry-run"], []):
        done = run_cli(["--batch", str(sweep), *extra], cwd=git_repo)
        assert done.returncode == 2, done.stdout + done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
    assert nothing_launched(git_repo)
    assert unchanged(before, user_state(git_repo))


def test_a_million_jobs_are_refused_from_the_grid_shape_and_a_hundred_million_even_with_yes(git_repo):
    before = user_state(git_repo)
    million = write_sweep(git_repo, '''
        name = "m"
        command = ["python", "job.py"]
        [grid]
        a = "range(1000)"
        b = "range(1000)"
    ''')
    done = run_cli(["--batch", str(million)], cwd=git_repo)
    assert done.returncode == 2 and "expands to 1,000,000 jobs, more than limits.max_jobs = 10000" in done.stderr
    hundred = write_sweep(git_repo, '''
        name = "h"
        command = ["python", "job.py"]
        [grid]
        a = "range(10000)"
        b = "range(10000)"
    ''', name="h.toml")
    for extra in (["--yes"], ["--dry-run"]):
        done = run_cli(["--batch", str(hundred), *extra], cwd=git_repo)
        assert done.returncode == 2 and "expands to 100,000,000 jobs" in done.stderr
    one_axis = write_sweep(git_repo, 'name = "r"\ncommand = ["python", "job.py"]\n[grid]\na = "range(1000000000)"\n',
                           name="r.toml")
    done = run_cli(["--batch", str(one_axis), "--dry-run"], cwd=git_repo)
    assert done.returncode == 2 and "has 1,000,000,000 values, more than 1,000,000 for one parameter" in done.stderr
    assert nothing_launched(git_repo)
    assert unchanged(before, user_state(git_repo))


def test_a_big_dry_run_summarises_with_the_first_and_last_jobs(git_repo):
    sweep = write_sweep(git_repo, '''
        name = "big"
        command = ["python", "job.py"]
        [grid]
        a = "range(100)"
        b = "range(1000)"
    ''')
    done = run_cli(["--batch", str(sweep), "--dry-run"], cwd=git_repo)
    assert done.returncode == 0, done.stderr
    assert "100,000 jobs" in done.stdout and "... 99,985 more jobs ..." in done.stdout
    assert "99999  a=99,b=999" in done.stdout and "    0  a=0,b=0" in done.stdout
    assert len(done.stdout.splitlines()) < 120
    assert nothing_launched(git_repo)


def test_job_at_numbers_jobs_exactly_as_expansion_does():
    spec = load_sweep_text('''
        name = "s"
        command = ["python", "t.py"]
        [params]
        fixed = 1
        [grid]
        lr = [0.1, 0.01, 0.001]
        seed = "range(4)"
        [[zip]]
        model = ["s", "m"]
        width = [1, 2]
        [[zip]]
        opt = ["adam", "sgd", "lion"]
    ''')
    jobs = spec.expand()
    assert len(jobs) == spec.job_count == 72
    assert [spec.job_at(i) for i in range(len(jobs))] == jobs


@pytest.mark.parametrize("sets,message", [
    (["timeout_min=inf"], "timeout_min: must be a finite number, not inf"),
    (["timeout_min=nan"], "must be a finite number, not nan"),
    (["snapshot.max_total_mb=inf"], "must be a finite number"),
])
def test_values_that_are_not_finite_are_refused(git_repo, sets, message):
    sweep = write_sweep(git_repo, 'name = "v"\ncommand = ["python", "job.py"]\n')
    done = run_cli(["--batch", str(sweep), "--dry-run", *[a for s in sets for a in ("--set", s)]], cwd=git_repo)
    assert done.returncode == 2 and message in done.stderr
    assert nothing_launched(git_repo)


@pytest.mark.parametrize("table,name,message", [
    ("params", '""', "must not be empty"),
    ("grid", '"--foo"', "must not start with '-'"),
    ("grid", '"a=b"', "must not contain '='"),
    ("params", '"tab\\there"', "must be printable"),
])
def test_bad_parameter_names_are_refused_naming_file_and_key(git_repo, table, name, message):
    value = "[1, 2]" if table == "grid" else "1"
    sweep = write_sweep(git_repo, f'name = "p"\ncommand = ["python", "job.py"]\n[{table}]\n{name} = {value}\n')
    done = run_cli(["--batch", str(sweep), "--dry-run"], cwd=git_repo)
    assert done.returncode == 2 and message in done.stderr and str(sweep) in done.stderr
    assert nothing_launched(git_repo)

"""The store lost, emptied or damaged: refused in one line, never replaced; rebuilt with every job as it ran."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from snaptui.engine.agent import agent_running, stop_agent
from tests.conftest import run_cli, stop_everything, wait_until, write_sweep

pytestmark = pytest.mark.timeout(240)

CODES = [0, 0, 3, 0, 0, 0]
SWEEP = '''
    name = "keep"
    command = ["python", "job.py", "sleep={sleep}"]
    [env]
    MARKER_DIR = "{marker}"
    [[zip]]
    result = [10, 11, 12, 13, 14, 15]
    code = {codes}
'''


@pytest.fixture
def repo(git_repo, tmp_path):
    marker = tmp_path / "marks"   # starts are counted here, outside the repository
    marker.mkdir()
    (git_repo / "snaptui.toml").write_text((git_repo / "snaptui.toml").read_text().replace(
        "max_parallel_jobs = 4", "max_parallel_jobs = 2"))
    write_sweep(git_repo, SWEEP.format(marker=marker, sleep=1.5, codes=CODES))
    write_sweep(git_repo, SWEEP.format(marker=marker, sleep=0, codes=CODES), "quick.toml")
    yield git_repo
    stop_everything(git_repo)


def db(repo):
    return repo / ".snaptui" / "state.db"


def one_line_refusal(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def rows(repo) -> list[dict] | None:
    """The sweep's jobs as `snaptui results 1 --json` prints them. Read in a subprocess: a connection
    this test process kept across the fault would read through its own stale WAL index."""
    result = run_cli(["results", "1", "--json"], cwd=repo)
    return json.loads(result.stdout) if result.returncode == 0 else None


def completed_at_least(repo, n: int) -> bool:
    return sum(r["state"] == "COMPLETED" for r in rows(repo) or []) >= n


def expect_every_job_as_it_ran(repo, marks) -> None:
    final = wait_until(lambda: (r := rows(repo)) and all(x["state"] in ("COMPLETED", "FAILED") for x in r) and r,
                       120, 0.5, "the rebuilt sweep to finish")
    assert [r["state"] for r in final] == ["FAILED" if c else "COMPLETED" for c in CODES]
    assert [r.get("score") for r in final] == [10, 11, 12, 13, 14, 15]
    assert len(list(marks.glob("*.start"))) == len(CODES), "a job ran twice or never"


def test_a_store_deleted_mid_sweep_is_refused_then_rebuilt_with_every_job_as_it_ran(repo, tmp_path, report):
    assert run_cli(["launch", "sweep.toml"], cwd=repo).returncode == 0
    wait_until(lambda: completed_at_least(repo, 2), 90, 0.2, "two jobs to complete")
    db(repo).unlink()
    for args in (["status"], ["launch", "sweep.toml"], ["status", "1"]):
        refusal = one_line_refusal(run_cli(args, cwd=repo))
        assert "recover --rebuild" in refusal and "no sweeps yet" not in refusal
    wait_until(lambda: not agent_running(repo), 30, 0.2, "the agent to stop writing into a lost store")
    rebuilt = run_cli(["recover", "--rebuild"], cwd=repo)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "sweep 1 (keep): 6 jobs rebuilt" in rebuilt.stdout
    expect_every_job_as_it_ran(repo, tmp_path / "marks")
    again = run_cli(["launch", "sweep.toml"], cwd=repo)
    assert again.stdout.strip().splitlines()[-1] == "2", again.stdout  # sweep ids are never reused
    report("store deleted mid-sweep (rm state.db)",
           "every command refused in one line naming recover --rebuild; the agent stopped; rebuilt from records "
           "and job folders: states, results as run, nothing run twice; next sweep is 2, not 1")


def test_a_store_emptied_mid_sweep_never_passes_for_a_new_one(repo, tmp_path, report):
    """`: > state.db` under a running agent: SQLite may write the WAL's pages back into the emptied file, so
    the store either reads whole again or is refused; it never reads as "no sweeps yet"."""
    assert run_cli(["launch", "sweep.toml"], cwd=repo).returncode == 0
    wait_until(lambda: completed_at_least(repo, 2), 90, 0.2, "two jobs to complete")
    db(repo).write_bytes(b"")
    status = run_cli(["status"], cwd=repo)
    assert "no sweeps yet" not in status.stdout and "Traceback" not in status.stderr, status.stderr
    if status.returncode == 1:
        assert "recover --rebuild" in one_line_refusal(status)
        wait_until(lambda: not agent_running(repo), 30, 0.2, "the agent to stop")
        assert run_cli(["recover", "--rebuild"], cwd=repo).returncode == 0
    expect_every_job_as_it_ran(repo, tmp_path / "marks")
    again = run_cli(["launch", "sweep.toml"], cwd=repo)
    assert again.stdout.strip().splitlines()[-1] == "2", again.stdout
    outcome = "refused, then rebuilt" if status.returncode == 1 else "read whole again from its WAL"
    report("store emptied mid-sweep (: > state.db)", f"{outcome}; every job as it ran, nothing twice; next is 2")


def test_a_store_emptied_while_idle_is_refused_and_rebuilt(repo, tmp_path, report):
    assert run_cli(["--batch", "quick.toml"], cwd=repo).returncode == 1
    stop_agent(repo)  # no process of the test holds the store: none can write its WAL back on closing
    db(repo).write_bytes(b"")
    for args in (["status"], ["launch", "sweep.toml"]):
        refusal = one_line_refusal(run_cli(args, cwd=repo))
        assert "is empty" in refusal and "recover --rebuild" in refusal
    assert run_cli(["recover", "--rebuild"], cwd=repo).returncode == 0
    expect_every_job_as_it_ran(repo, tmp_path / "marks")
    report("store emptied after a sweep (: > state.db)", "refused in one line; rebuilt; every job as it ran")


def test_the_whole_state_folder_deleted_is_noticed_and_rebuilt_from_job_folders(repo, tmp_path, report):
    assert run_cli(["--batch", "quick.toml"], cwd=repo).returncode == 1  # one job fails on purpose
    shutil.rmtree(repo / ".snaptui")
    refusal = one_line_refusal(run_cli(["status"], cwd=repo))
    assert "sweeps up to 1 were launched here" in refusal
    rebuilt = run_cli(["recover", "--rebuild"], cwd=repo)
    assert rebuilt.returncode == 0 and "launch record lost" in rebuilt.stdout, rebuilt.stdout + rebuilt.stderr
    expect_every_job_as_it_ran(repo, tmp_path / "marks")
    again = run_cli(["launch", "sweep.toml"], cwd=repo)
    assert again.stdout.strip().splitlines()[-1] == "2", again.stdout
    report("rm -rf .snaptui after a sweep", "noticed from the marker in .git; rebuilt from the job folders; "
           "next sweep is 2")


def test_a_damaged_store_is_one_line_and_kept_aside_by_the_rebuild(repo, tmp_path, report):
    assert run_cli(["--batch", "quick.toml"], cwd=repo).returncode == 1
    stop_agent(repo)  # with a connection open, SQLite would read page 1 from the WAL and write it back
    with open(db(repo), "r+b") as handle:
        handle.write(b"this is not SQLite at all")
    for args in (["status"], ["results", "1"], ["launch", "sweep.toml"]):
        refusal = one_line_refusal(run_cli(args, cwd=repo))
        assert "is damaged" in refusal and "recover --rebuild" in refusal
    rebuilt = run_cli(["recover", "--rebuild"], cwd=repo)
    assert rebuilt.returncode == 0, rebuilt.stderr
    kept = [p for p in (repo / ".snaptui").iterdir() if p.name.startswith("state.db.lost-")]
    assert kept and kept[0].read_bytes().startswith(b"this is not SQLite")
    expect_every_job_as_it_ran(repo, tmp_path / "marks")
    refused = run_cli(["recover", "--rebuild"], cwd=repo)
    assert refused.returncode == 1 and "nothing to rebuild" in refused.stderr
    report("store header overwritten", "one line on every command; rebuilt, the damaged file kept aside")


@pytest.mark.skipif(os.getuid() != 0 or not shutil.which("chattr"), reason="chattr +i needs root")
def test_an_immutable_store_is_one_line(repo, tmp_path, report):
    assert run_cli(["--batch", "quick.toml"], cwd=repo).returncode == 1
    stop_agent(repo)
    if subprocess.run(["chattr", "+i", str(db(repo))], capture_output=True).returncode != 0:
        pytest.skip("this filesystem has no immutable flag")
    try:
        for args in (["status"], ["launch", "sweep.toml"]):
            result = run_cli(args, cwd=repo)
            assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
        assert one_line_refusal(run_cli(["launch", "sweep.toml"], cwd=repo))
    finally:
        subprocess.run(["chattr", "-i", str(db(repo))], capture_output=True)
    report("immutable store (chattr +i)", "reading works, writing refused in one line")

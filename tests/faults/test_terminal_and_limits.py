"""What reaches the user's terminal and what reaches a job: escape sequences shown, never obeyed; values the
system cannot pass refused before anything runs; a stopped agent said to be stopped."""
from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys

import pytest

from snaptui.engine.agent import HEARTBEAT_NAME, agent_identity
from snaptui.engine.api import Engine
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, wait_until, write_sweep

pytestmark = pytest.mark.timeout(180)

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\u202e"


@pytest.fixture
def repo(git_repo):
    yield git_repo
    stop_everything(git_repo)


@pytest.mark.parametrize("value, says", [('"a\\u0000b"', "NUL character"), (f'"{"x" * 140_000}"', "131,072 bytes")],
                         ids=["NUL", "over 128 KiB"])
def test_values_no_command_line_can_carry_are_refused_at_dry_run(repo, value, says, report):
    write_sweep(repo, f'name = "v"\ncommand = ["python", "job.py"]\n[grid]\nv = ["ok", {value}]\n')
    for args in (["--batch", "sweep.toml", "--dry-run"], ["launch", "sweep.toml"]):
        result = run_cli(args, cwd=repo)
        assert result.returncode == 2, (args, result.stdout[-300:], result.stderr[-300:])
        assert "sweep.toml:4: grid.v:" in result.stderr and says in result.stderr, result.stderr[-400:]
    assert git(repo, "branch", "--list", "snaptui/*") == ""
    report(f"a grid value with {says.split()[0] if 'NUL' in says else 'over 128 KiB'}",
           "refused by --dry-run and launch with file, line and key; nothing launched")


def on_a_terminal(args: list[str], cwd) -> str:
    """The CLI's output when its stdout is a terminal (a pseudo-terminal here)."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "snaptui", *args], cwd=cwd, stdout=child, stderr=child,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, COLUMNS="200"))
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_control_characters_in_values_and_results_are_shown_escaped(repo, report):
    (repo / "echo.py").write_text("import sys\nprint('SNAPTUI_RESULT note=' + sys.argv[1].split('=', 1)[1])\n"
                                  "sys.exit(3)\n")
    write_sweep(repo, f'name = "esc"\ncommand = ["python", "echo.py"]\n'
                      f'[grid]\nv = [{json.dumps(HOSTILE)}]\n')
    batch = run_cli(["--batch", "sweep.toml"], cwd=repo)
    assert batch.returncode == 1, batch.stderr
    outputs = {"batch": batch.stdout + batch.stderr}
    for args in (["status"], ["status", "1"], ["results", "1"], ["results", "1", "--csv"], ["show", "1/0"]):
        result = run_cli(args, cwd=repo)
        assert result.returncode == 0, (args, result.stderr)
        outputs[" ".join(args)] = result.stdout + result.stderr
    csv_file = outputs.pop("results 1 --csv")  # into a file or a pipe, CSV keeps the values exactly
    assert HOSTILE in csv_file
    outputs["results 1 --csv (terminal)"] = on_a_terminal(["results", "1", "--csv"], repo)
    raw = [name for name, text in outputs.items() if "\x1b" in text or "\x07" in text or "\u202e" in text]
    assert raw == [], raw
    assert "\\x1b]0;pwned" in outputs["status 1"] and "\\x1b[2J" in outputs["results 1"]
    report("escape sequences in a parameter value and a result",
           "status, results, show, the batch output and CSV on a terminal print them escaped (\\x1b...), never "
           "raw; CSV into a file keeps them exactly")


def test_a_stopped_agent_is_reported_by_status(repo, report):
    write_sweep(repo, 'name = "long"\ncommand = ["python", "job.py", "sleep=60"]\n')
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(repo / "sweep.toml"))
    wait_until(lambda: engine.jobs(sweep.id)[0].state.value == "RUNNING", 60, 0.1, "the job to run")
    agent = agent_identity(repo)
    os.kill(agent["pid"], signal.SIGSTOP)
    try:
        heartbeat = repo / ".snaptui" / HEARTBEAT_NAME
        before = heartbeat.stat().st_mtime
        status = wait_until(lambda: (r := run_cli(["status"], cwd=repo, env={"SNAPTUI_AGENT_STALE_S": "1"}))
                            and "has not looked at jobs" in r.stderr and r, 30, 0.2, "status to warn")
        assert f"pid {agent['pid']}" in status.stderr and heartbeat.stat().st_mtime == before
    finally:
        os.kill(agent["pid"], signal.SIGCONT)
    engine.cancel(engine.jobs(sweep.id))
    wait_sweep_done(engine, sweep.id, 60)
    report("the agent SIGSTOPped while a job runs", "status warns that the agent has not looked at jobs for N s")

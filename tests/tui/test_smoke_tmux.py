"""The real `snaptui` binary in a real terminal (tmux): keys in, screen out; a hang-up ends it cleanly."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from snaptui.engine.states import JobState
from tuikit import launch

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

BINARY = Path(sys.executable).with_name("snaptui")


class Tmux:
    def __init__(self, cwd: Path, env: dict[str, str] | None = None, size=(100, 30)):
        self.socket = f"snaptui-test-{uuid.uuid4().hex[:8]}"
        self.cwd = cwd
        self.env = {**os.environ, **(env or {})}
        self.size = size

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              env=self.env, timeout=30).stdout

    def start(self, command: str) -> None:
        width, height = self.size
        subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y",
                        str(height), "-c", str(self.cwd), command], check=True, env=self.env, timeout=30)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", key)
            time.sleep(0.15)   # separate keys: an escape followed at once by a letter reads as alt+letter

    def wait_for(self, needle: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if needle in text:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} never appeared; the screen:\n{self.screen()}")

    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "#{pane_pid}").strip())

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, env=self.env, timeout=30)


@pytest.fixture
def tmux_in(git_repo):
    sessions: list[Tmux] = []

    def make(**kwargs) -> Tmux:
        session = Tmux(git_repo, **kwargs)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.kill()


def test_real_binary_shows_a_sweep_and_quits_without_cancelling(engine, git_repo, tmux_in):
    sweep = launch(engine, git_repo, '''
        name = "smoke"
        command = ["python", "job.py"]
        [grid]
        sleep = [4, 30]
    ''')
    term = tmux_in()
    term.start(f"{BINARY}; echo EXITED $?; sleep 30")
    term.wait_for("smoke")
    term.wait_for("Quit")                          # the footer
    term.keys("Enter")
    term.wait_for("cols sleep")
    term.wait_for("RUNNING")
    term.wait_for("1/2 done", timeout=40)
    term.keys("t")
    text = term.wait_for("executor id")
    assert "sleep=30" in text and "✔ COMPLETED" in text
    term.keys("q")
    term.wait_for("smoke")
    term.keys("q")
    term.wait_for("EXITED 0")
    assert engine.jobs(sweep.id)[1].state is JobState.RUNNING     # quitting cancelled nothing


def test_hangup_ends_the_tui_and_jobs_keep_running(engine, git_repo, tmux_in):
    sweep = launch(engine, git_repo, '''
        name = "hup"
        command = ["python", "job.py"]
        [grid]
        sleep = [30]
    ''')
    term = tmux_in(env={"NO_COLOR": "1"})
    term.start(f"exec {BINARY}")
    term.wait_for("hup")
    pid = term.pane_pid()
    term.kill()                                    # the terminal goes away: SIGHUP
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    assert not _alive(pid), "the TUI outlived its terminal"
    assert engine.jobs(sweep.id)[0].state in (JobState.RUNNING, JobState.PENDING)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


TQDM_JOB = '''\
import os, sys, time
print("training", flush=True)
for step in range(1, 4):
    sys.stdout.write(f"\\\\r epoch 1: {step * 10}%|{'#' * step}{' ' * (10 - step)}| {step}/10")
    sys.stdout.flush()
    time.sleep(0.2)
while not os.path.exists("release"):
    time.sleep(0.05)
sys.stdout.write("\\\\n")
'''


def test_a_running_progress_bar_is_visible_and_r_asks_first(engine, git_repo, tmux_in):
    (git_repo / "bar.py").write_text(TQDM_JOB)
    sweep = launch(engine, git_repo, '''
        name = "bar"
        command = ["python", "bar.py"]
    ''')
    term = tmux_in(size=(100, 30))
    term.start(f"{BINARY}; echo EXITED $?; sleep 30")
    term.wait_for("bar")
    term.keys("Enter")
    term.wait_for("RUNNING")
    term.keys("Enter")                                          # the job's log
    term.wait_for("30%|###       | 3/10")                       # the unfinished line, while the job runs
    assert engine.jobs(sweep.id)[0].state is JobState.RUNNING
    (git_repo / "release").write_text("")
    term.wait_for("COMPLETED")
    term.keys("r")
    text = term.wait_for(f"Resubmit job {sweep.id}/0?")         # asks first
    assert "No (n)" in text
    term.keys("n")
    term.wait_for("FOLLOW")
    assert engine.jobs(sweep.id)[0].attempt.number == 1         # no was no
    term.keys("q")
    term.wait_for("Table")                                      # the sweep's footer
    term.keys("q")
    term.wait_for("Launch")                                     # home's footer
    term.keys("q")
    term.wait_for("EXITED 0")


def test_a_200000_line_log_reaches_line_1_and_search_finds_an_early_line(engine, git_repo, tmux_in):
    (git_repo / "long.py").write_text("for n in range(1, 200001):\n    print(f'log line {n} of 200000')\n")
    sweep = launch(engine, git_repo, '''
        name = "long"
        command = ["python", "long.py"]
    ''')
    wait_sweep_done_(engine, sweep.id)
    term = tmux_in(size=(100, 30))
    term.start(f"{BINARY}; echo EXITED $?; sleep 30")
    term.wait_for("long")
    term.keys("Enter")
    term.wait_for("COMPLETED")
    term.keys("Enter")
    term.wait_for("log line 200000 of 200000")
    term.keys("Home")
    text = term.wait_for("log line 1 of 200000")
    assert "log line 2 of 200000" in text
    term.keys("End")
    term.wait_for("log line 200000 of 200000")
    term.keys("/")
    for key in ("log line 17 of", "Enter"):
        term.keys(key)
    text = term.wait_for("1/1")
    assert "log line 17 of 200000" in text
    term.keys("q")
    term.wait_for("Table")                                      # the sweep's footer
    term.keys("q")
    term.wait_for("Launch")                                     # home's footer
    term.keys("q")
    term.wait_for("EXITED 0")


def wait_sweep_done_(engine, sweep_id: int) -> None:
    from tests.conftest import wait_sweep_done

    wait_sweep_done(engine, sweep_id, timeout=120)


def test_pager_gets_the_log_and_editor_the_sweep_file(engine, git_repo, tmp_path, tmux_in):
    sweep = launch(engine, git_repo, '''
        name = "paged"
        command = ["python", "job.py"]
    ''', name="paged.toml")
    wait_sweep_done_(engine, sweep.id)
    pager = tmp_path / "pager.py"
    pager.write_text("import shutil, sys\nshutil.copy(sys.argv[1], sys.argv[1] + '.paged')\n")
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\np = sys.argv[1]\nopen(p, 'a').write('[grid]\\nsleep = [0, 0, 0]\\n')\n")
    term = tmux_in(env={"PAGER": f"{sys.executable} {pager}", "VISUAL": f"{sys.executable} {editor}"})
    term.start(f"{BINARY}; echo EXITED $?; sleep 30")
    term.wait_for("paged")
    term.keys("Enter")
    term.wait_for("COMPLETED")
    term.keys("Enter")
    term.wait_for("FOLLOW")
    term.keys("o")                                              # the log, in $PAGER
    out = Path(engine.log_paths(engine.jobs(sweep.id)[0])[0])
    deadline = time.monotonic() + 30
    while not Path(f"{out}.paged").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Path(f"{out}.paged").read_text() == out.read_text()
    term.wait_for("FOLLOW")                                     # back in the TUI
    before = out.read_text()
    term.keys("E")                                              # the log, in $VISUAL (which appends to it)
    deadline = time.monotonic() + 30
    while out.read_text() == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert out.read_text() == before + "[grid]\nsleep = [0, 0, 0]\n"
    term.wait_for("FOLLOW")
    term.keys("q")
    term.wait_for("Table")
    term.keys("q")
    term.wait_for("Launch")
    term.keys("n")
    term.wait_for("paged: 1 job on")
    term.keys("C-e")                                            # the sweep file, in $EDITOR
    term.wait_for("paged: 3 jobs")                              # and the preview follows the edit
    term.keys("Escape")
    term.wait_for("Launch")
    term.keys("q")
    term.wait_for("EXITED 0")


def test_snapshot_diffs_show_inside_the_tui_what_the_job_ran_and_what_changed_since(engine, git_repo, tmux_in):
    """Issue 23, item 4: git's pager quit at once on a short diff and the TUI drew over it."""
    (git_repo / "job.py").write_text((git_repo / "job.py").read_text() + "# tuned by hand before the launch\n")
    path = git_repo / "snap.toml"
    path.write_text('name = "snapdiff"\ncommand = ["python", "job.py"]\n')
    engine.launch(engine.plan(path))
    term = tmux_in()
    term.start(f"{BINARY}; echo EXITED $?; sleep 30")
    term.wait_for("snapdiff")
    term.keys("s")
    term.wait_for("uncommitted edits went in")                  # the list read: a snapshot is selected
    term.keys("d")                                              # what the snapshot holds beyond its base
    text = term.wait_for("+# tuned by hand before the launch")
    assert "job.py" in text and "beyond the commit it was taken from" in text
    term.keys("Escape")
    term.wait_for("uncommitted edits went in")
    (git_repo / "job.py").write_text((git_repo / "job.py").read_text() + "# and after it\n")
    term.keys("w")                                              # the working tree now against it
    text = term.wait_for("+# and after it")
    assert "+# tuned by hand" not in text                       # that one is in both
    term.keys("q")
    term.wait_for("uncommitted edits went in")
    term.keys("Escape")
    term.wait_for("Launch")
    term.keys("q")
    term.wait_for("EXITED 0")


def test_an_edit_of_snaptui_toml_while_the_tui_runs_reaches_its_next_launch(engine, git_repo, tmux_in):
    """Issue 23, item 3: the TUI reads snaptui.toml afresh for every preview and launch."""
    (git_repo / "t.toml").write_text('name = "fresh"\ncommand = ["python", "job.py"]\n')
    term = tmux_in()
    term.start(f"{BINARY}; echo EXITED $?; sleep 30")
    term.wait_for("Quit")
    term.keys("n")
    term.wait_for("timeout_min=5")                              # the preview of t.toml, the only sweep file
    config = git_repo / "snaptui.toml"
    config.write_text(config.read_text().replace("timeout_min = 5", "timeout_min = 7"))
    term.wait_for("timeout_min=7")                              # the preview follows the edit
    term.keys("C-l")
    term.wait_for("Launch fresh?")
    term.keys("y")
    term.wait_for("sweep 1 fresh")                              # the sweep screen of what was launched
    deadline = time.monotonic() + 60
    while engine.manifest(engine.jobs(1)[0]) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    manifest = engine.manifest(engine.jobs(1)[0])
    assert manifest is not None, "the job never started"
    assert manifest["config"]["executor"]["timeout_min"] == 7, manifest["config"]
    term.keys("q")
    term.keys("q")
    term.wait_for("EXITED 0")

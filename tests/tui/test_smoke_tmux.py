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

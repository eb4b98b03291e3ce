"""push_to_remote, after submission and in the background: an unreachable remote must not hold
a launch (a push can wait minutes on a network timeout). The outcome goes to a log file in
.snaptui/, named in the launch's output.

Run as ``python -m snaptui.engine.snapshot.push REPO REMOTE BRANCH COMMIT LOG``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

PUSH_TIMEOUT_S = 600


def push_in_background(repo_root: Path, remote: str, branch: str, commit: str, state_dir: Path) -> Path:
    """Start a detached push; returns the log it writes its outcome to."""
    log = state_dir / f"push-{branch.replace('/', '-')}.log"
    with open(os.devnull, "rb") as devnull:
        subprocess.Popen([sys.executable, "-m", "snaptui.engine.snapshot.push", str(repo_root), remote, branch, commit,
                          str(log)],
                         stdin=devnull, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                         close_fds=True)
    return log


def main(repo_root: str, remote: str, branch: str, commit: str, log: str) -> int:
    from snaptui.engine.gitrepo import GitFailed, run_in

    started = time.time()
    try:
        status, _, detail = run_in(Path(repo_root), "push", "--no-verify", "--quiet", remote,
                                   f"{commit}:refs/heads/{branch}", check=False, timeout=PUSH_TIMEOUT_S)
        detail = detail.strip()
    except GitFailed as exc:
        status, detail = exc.status, exc.stderr.strip()
    if status != 0 and time.time() - started >= PUSH_TIMEOUT_S:
        detail = f"no answer from {remote} within {PUSH_TIMEOUT_S} s"
    outcome = f"pushed {branch} to {remote}" if status == 0 else \
        f"could not push {branch} to {remote}: {'; '.join(detail.splitlines()[-2:]) or f'exit {status}'}"
    Path(log).write_text(f"{time.strftime('%Y-%m-%d %H:%M:%S')} ({time.time() - started:.1f} s) {outcome}\n")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))

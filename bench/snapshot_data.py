"""A launch's snapshot with 1 GB of untracked checkpoints present vs the same code without them
(issue 12's goal: <= 1.2x the time and < 1 MB of `.git/objects` growth).

Both cases run on one repository of 1,000 code files (100 dirty, 20 untracked); the checkpoints
(200 files of 5 MB, untracked and not ignored, as found in research repositories) are renamed in
and out of place between rounds, interleaved, best of 3. Run as ``python bench/snapshot_data.py``;
``run()`` returns rows for ``bench/run_all.py``.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import row  # noqa: E402
from bench.snapshot import build_repo  # noqa: E402
from snaptui.engine.config import SnapshotSettings  # noqa: E402
from snaptui.engine.snapshot import discard_snapshot, take_snapshot  # noqa: E402

CHECKPOINTS, CHECKPOINT_MB = 200, 5
REPEATS = 3


def objects_bytes(repo: Path) -> int:
    total = 0
    for folder, _, files in os.walk(repo / ".git" / "objects"):
        for name in files:
            total += os.lstat(os.path.join(folder, name)).st_size
    return total


def write_checkpoints(folder: Path) -> None:
    folder.mkdir()
    block = os.urandom(CHECKPOINT_MB * 1024 * 1024)
    for i in range(CHECKPOINTS):
        (folder / f"step{i:04d}.ckpt").write_bytes(block)


def one_launch(repo: Path, settings: SnapshotSettings) -> tuple[float, int]:
    """(seconds for the snapshot step of a launch, bytes .git/objects grew by)."""
    before = objects_bytes(repo)
    os.sync()
    start = time.perf_counter()
    snap = take_snapshot(repo, settings)
    elapsed = time.perf_counter() - start
    grown = objects_bytes(repo) - before
    discard_snapshot(repo, snap)
    return elapsed, grown


def run() -> list[dict]:
    root = Path(tempfile.mkdtemp(prefix="snaptui-bench-data-"))
    try:
        repo = build_repo(root, 1_000)
        settings = SnapshotSettings(worktree_root=str(root / "worktrees"))
        parked, live = root / "checkpoints", repo / "checkpoints"
        write_checkpoints(parked)
        one_launch(repo, settings)  # warm the page cache
        without, with_data = [], []
        for _ in range(REPEATS):
            without.append(one_launch(repo, settings))
            parked.rename(live)
            try:
                with_data.append(one_launch(repo, settings))
            finally:
                live.rename(parked)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    data = f"{CHECKPOINTS} x {CHECKPOINT_MB} MB"
    base_s, data_s = min(t for t, _ in without), min(t for t, _ in with_data)
    base_grow, data_grow = max(g for _, g in without), max(g for _, g in with_data)
    return [
        row("snapshot", f"launch with {data} untracked checkpoints vs without (1,000 files)", base_s, data_s,
            note="goal <= 1.2x"),
        row("snapshot", f".git/objects growth per launch, with vs without {data} checkpoints",
            base_grow / 1048576, data_grow / 1048576, note="goal < 1 MB", unit="MB"),
    ]


def main() -> None:
    from bench.common import print_table
    print_table(run())


if __name__ == "__main__":
    main()

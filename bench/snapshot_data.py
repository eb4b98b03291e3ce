"""A launch's snapshot with 1 GB of untracked checkpoints present vs the same code without them
(issue 12's goal: <= 1.2x the time and < 1 MB of `.git/objects` growth).

Both cases run on one repository of 1,000 code files (100 dirty, 20 untracked); the checkpoints
(200 files of 5 MB, untracked and not ignored, as found in research repositories) are renamed in
and out of place between rounds, alternated, medians of 5. The checkout (`git worktree add`) is the
same in both cases and dominates on a busy disk, so snaptui's own work (the rest) gets a row too. Run as
``python bench/snapshot_data.py``;
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

from bench.common import row, sampled_row  # noqa: E402
from bench.snapshot import build_repo  # noqa: E402
from snaptui.engine.snapshot import snapshots as snapshot_mod  # noqa: E402
from snaptui.engine.config.settings import SnapshotSettings  # noqa: E402
from snaptui.engine.snapshot.snapshots import discard_snapshot, take_snapshot  # noqa: E402

CHECKPOINTS, CHECKPOINT_MB = 200, 5
REPEATS = 5


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


def one_launch(repo: Path, settings: SnapshotSettings) -> tuple[float, int, float]:
    """(seconds for the snapshot step of a launch, bytes .git/objects grew by, seconds outside the checkout)."""
    checkout = []
    real_add = snapshot_mod.add_worktree

    def timed_add(*args):
        t = time.perf_counter()
        real_add(*args)
        checkout.append(time.perf_counter() - t)

    before = objects_bytes(repo)
    os.sync()
    snapshot_mod.add_worktree = timed_add
    try:
        start = time.perf_counter()
        snap = take_snapshot(repo, settings)
        elapsed = time.perf_counter() - start
    finally:
        snapshot_mod.add_worktree = real_add
    grown = objects_bytes(repo) - before
    discard_snapshot(repo, snap)
    return elapsed, grown, elapsed - checkout[0]


def run() -> list[dict]:
    root = Path(tempfile.mkdtemp(prefix="snaptui-bench-data-"))
    try:
        repo = build_repo(root, 1_000)
        settings = SnapshotSettings(worktree_root=str(root / "worktrees"))
        parked, live = root / "checkpoints", repo / "checkpoints"
        write_checkpoints(parked)

        def with_checkpoints():
            parked.rename(live)
            try:
                return one_launch(repo, settings)
            finally:
                live.rename(parked)

        without, with_data = [], []
        one_launch(repo, settings)  # warm-up of both, unrecorded
        with_checkpoints()
        for i in range(REPEATS):  # A B B A ...: neither side alone gets a burst of load
            pair = [(lambda: one_launch(repo, settings), without), (with_checkpoints, with_data)]
            for fn, out in (pair if i % 2 == 0 else pair[::-1]):
                out.append(fn())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    data = f"{CHECKPOINTS} x {CHECKPOINT_MB} MB"
    return [
        sampled_row("snapshot", f"launch with {data} untracked checkpoints vs without (1,000 files)",
                    [r[0] for r in without], [r[0] for r in with_data], note="goal <= 1.2x"),
        sampled_row("snapshot", f"  its own work outside `git worktree add`, with vs without {data}",
                    [r[2] for r in without], [r[2] for r in with_data], note="the part the data could cost"),
        row("snapshot", f".git/objects growth per launch, with vs without {data} checkpoints",
            max(r[1] for r in without) / 1048576, max(r[1] for r in with_data) / 1048576,
            note="goal < 1 MB (largest of the samples)", unit="MB"),
    ]


def main() -> None:
    from bench.common import print_table
    print_table(run())


if __name__ == "__main__":
    main()

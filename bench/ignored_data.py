"""A launch's snapshot in a repository holding what research repositories gitignore: a 1 GB data folder
and a `.venv/` of 100,000 files, all linked into the worktree (issue 22, item 1), against a plain
`git worktree add --detach` of the same repository in the same run (goal: at most 1.2x).

The data files are sparse (`truncate`): 4 files of 256 MB whose size is real and whose blocks are
not, which is what matters here, since an ignored file is never read, only listed and linked. The
code is `bench.snapshot.build_repo`'s 1,000 files (100 dirty, 20 untracked). The checkout dominates
both sides on a busy disk, so a second row compares snapshot's own work (all but `git worktree add`)
with the data and `.venv/` present against the same repository with them moved out: what listing,
measuring and linking them costs on its own.
Alternating samples, medians. Run as ``python bench/ignored_data.py``; ``run()`` returns rows.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import alternating, sampled_row  # noqa: E402
from bench.snapshot import SAMPLES, build_repo, time_baseline, time_snapshot  # noqa: E402
from snaptui.engine.config.settings import SnapshotSettings  # noqa: E402

CODE_FILES = 1_000
DATA_FILES, DATA_MB = 4, 256
VENV_FILES, VENV_PER_DIR = 100_000, 100


def add_ignored(repo: Path) -> None:
    with open(repo / ".gitignore", "a") as f:
        f.write("data/\n.venv/\n")
    data = repo / "data"
    data.mkdir()
    for i in range(DATA_FILES):
        with open(data / f"shard{i}.bin", "wb") as f:
            f.truncate(DATA_MB * 1024 * 1024)
    for d in range(VENV_FILES // VENV_PER_DIR):
        folder = repo / ".venv" / "lib" / "python3.11" / "site-packages" / f"pkg{d}"
        folder.mkdir(parents=True)
        for i in range(VENV_PER_DIR):
            (folder / f"m{i}.py").write_text("")


def run() -> list[dict]:
    root = Path(tempfile.mkdtemp(prefix="snaptui-bench-ignored-"))
    try:
        repo = build_repo(root, CODE_FILES)
        add_ignored(repo)
        wt_root = root / "worktrees"
        settings = SnapshotSettings(worktree_root=str(wt_root))
        rounds = iter(range(10_000))

        def snapshot() -> float:
            total, _ = time_snapshot(repo, settings)
            return total

        base, snap = alternating(lambda: time_baseline(repo, wt_root, next(rounds)), snapshot, SAMPLES)
        rows = [sampled_row("ignored data", f"{CODE_FILES:,} files + 1 GB data/ + {VENV_FILES:,}-file .venv/ "
                            "(ignored, linked)", base, snap, "snapshot; baseline: git worktree add --detach")]
        parked = root / "parked"
        parked.mkdir()
        parked_data = [(repo / name, parked / name) for name in ("data", ".venv")]

        def own_work(present: bool) -> float:
            for live, away in parked_data:
                src, dest = (away, live) if present else (live, away)
                if src.exists():
                    src.rename(dest)
            _, outside = time_snapshot(repo, settings)
            return outside

        bare, linked = alternating(lambda: own_work(False), lambda: own_work(True), SAMPLES)
        rows.append(sampled_row("ignored data", "snapshot's own work (all but the checkout): with data/ and .venv/"
                                " vs without", bare, linked, "what linking the ignored paths costs"))
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    from bench.common import print_table
    print_table(run())


if __name__ == "__main__":
    main()

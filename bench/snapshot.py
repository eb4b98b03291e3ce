"""Snapshot cost vs a plain ``git worktree add --detach <path> HEAD`` (issue 17's target: <= 1.2x).

Run as ``python bench/snapshot.py``; ``run()`` returns rows for ``bench/run_all.py``. Repos are
built under ``$TMPDIR``: on a slow or noisy disk the checkout dominates both columns (ratio near
1); on tmpfs the checkout is fast and snapshot's own work shows.
A snapshot is taken once per launch and shared by all its jobs. The "1,000 jobs" row measures
that: a whole launch of a 1,000-job sweep on the 10,000-file repository (snapshot, recording
the jobs, starting the agent), against the same `git worktree add` baseline.
Every row: one warm-up of each side, then SAMPLES samples taken in turns (A B B A ...), medians.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import git

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import alternating, sampled_row  # noqa: E402
from snaptui.engine.snapshot import snapshots as snapshot_mod  # noqa: E402
from snaptui.engine.config.settings import SnapshotSettings  # noqa: E402
from snaptui.engine.snapshot.snapshots import discard_snapshot, take_snapshot  # noqa: E402

SIZES = (1_000, 10_000)
SAMPLES = int(os.environ.get("SNAPTUI_BENCH_SAMPLES", "5"))
DIRTY, UNTRACKED = 100, 20
OWN_WORK: dict[str, float] = {}  # case -> median seconds spent outside `git worktree add` (printout)


def build_repo(root: Path, n_files: int) -> Path:
    """Small text files, ~20 per directory, three levels deep; one commit; then dirtied."""
    repo = root / f"repo-{n_files}"
    for i in range(n_files):
        d = repo / f"pkg{i % 10}" / f"mod{(i // 10) % 50}" / f"sub{i // 500}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"file{i}.py").write_text(f"# file {i}\nVALUE = {i}\n" + "x = 1\n" * 20)
    r = git.Repo.init(repo)
    r.git.config("user.name", "bench")
    r.git.config("user.email", "bench@example.com")
    r.git.add("-A")
    r.git.commit("-q", "-m", "initial", "--no-gpg-sign")
    files = sorted(repo.rglob("file*.py"))
    for f in files[:: max(1, len(files) // DIRTY)][:DIRTY]:
        f.write_text(f.read_text() + "# edited\n")
    for i in range(UNTRACKED):
        (repo / f"untracked{i}.txt").write_text(f"new {i}\n")
    return repo


def time_baseline(repo: Path, wt_root: Path, i: int) -> float:
    g = git.Git(str(repo))
    path = wt_root / f"baseline-{i}"
    os.sync()  # flush the previous round's writes so they are not billed to this one
    start = time.perf_counter()
    g.worktree("add", "--quiet", "--detach", str(path), "HEAD")
    elapsed = time.perf_counter() - start
    g.worktree("remove", "--force", str(path))
    g.worktree("prune")
    return elapsed


def time_snapshot(repo: Path, settings: SnapshotSettings) -> tuple[float, float]:
    """(total, time outside `git worktree add`): the second part is snapshot's own work, and
    is far steadier than a checkout on a noisy disk."""
    checkout = []
    real_add = snapshot_mod.add_worktree

    def timed_add(*args):
        t = time.perf_counter()
        real_add(*args)
        checkout.append(time.perf_counter() - t)

    snapshot_mod.add_worktree = timed_add
    try:
        os.sync()
        start = time.perf_counter()
        snap = take_snapshot(repo, settings)
        elapsed = time.perf_counter() - start
    finally:
        snapshot_mod.add_worktree = real_add
    discard_snapshot(repo, snap)
    return elapsed, elapsed - checkout[0]


def time_launch(repo: Path, wt_root: Path, n_jobs: int) -> float:
    """A real launch of an n-job sweep through the engine; its jobs are cancelled right after."""
    from snaptui.engine.api import Engine
    from snaptui.engine.snapshot.snapshots import Snapshot

    sweep_file = repo.parent / f"sweep-{n_jobs}.toml"  # outside the repo: not part of the snapshot
    sweep_file.write_text(f'name = "bench"\ncommand = ["true"]\n[grid]\ni = "range({n_jobs})"\n')
    engine = Engine(repo)
    plan = engine.plan(sweep_file, sets=[f"snapshot.worktree_root={wt_root}", "max_parallel_jobs=1"])
    os.sync()
    start = time.perf_counter()
    sweep = engine.launch(plan, yes=True)
    elapsed = time.perf_counter() - start
    engine.cancel(engine.jobs(sweep.id))
    discard_snapshot(repo, Snapshot.from_dict(sweep.snapshot))
    return elapsed


def bench_launch(root: Path, n_files: int, n_jobs: int) -> dict:
    from snaptui.engine.agent import stop_agent

    repo, wt_root = root / f"repo-{n_files}", root / f"worktrees-{n_files}"
    rounds = iter(range(1_000))
    try:
        base, launch = alternating(lambda: time_baseline(repo, wt_root, 100 + next(rounds)),
                                   lambda: time_launch(repo, wt_root, n_jobs), SAMPLES)
    finally:
        stop_agent(repo)
    return sampled_row("snapshot", f"{n_files:,} files, launch of a {n_jobs:,}-job sweep", base, launch,
                       "snapshot + record + agent start; baseline: git worktree add")


def bench_size(root: Path, n_files: int) -> dict:
    repo = build_repo(root, n_files)
    wt_root = root / f"worktrees-{n_files}"
    settings = SnapshotSettings(worktree_root=str(wt_root))
    rounds = iter(range(1_000))
    own = []

    def snapshot() -> float:
        total, outside = time_snapshot(repo, settings)
        own.append(outside)
        return total

    base, snap = alternating(lambda: time_baseline(repo, wt_root, next(rounds)), snapshot, SAMPLES)
    case = f"{n_files:,} files ({DIRTY} dirty, {UNTRACKED} untracked)"
    OWN_WORK[case] = statistics.median(own[1:])  # without the warm-up
    return sampled_row("snapshot", case, base, snap, "baseline: git worktree add --detach")


def run() -> list[dict]:
    root = Path(tempfile.mkdtemp(prefix="snaptui-bench-"))
    try:
        rows = [bench_size(root, n) for n in SIZES]
        rows.append(bench_launch(root, SIZES[-1], 1_000))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def main() -> None:
    rows = run()
    print(f"snapshot vs plain `git worktree add --detach` (medians of {SAMPLES} alternating samples; "
          f"target ratio <= 1.2)")
    print(f"{'case':<52} {'baseline s':>10} {'snapshot s':>10} {'ratio':>6} {'own work s':>10}  samples")
    for r in rows:
        own = OWN_WORK.get(r["case"])
        print(f"{r['case']:<52} {r['baseline_s']:>10.3f} {r['value_s']:>10.3f} {r['ratio']:>6.2f} "
              f"{own if own is not None else float('nan'):>10.3f}  {r['spread']}")
    print("own work = snapshot time outside its `git worktree add` (temp index, walk, commit, branch, links).")
    print("The launch row is a whole launch of a 1,000-job sweep (snapshot, records, agent start).")


if __name__ == "__main__":
    main()

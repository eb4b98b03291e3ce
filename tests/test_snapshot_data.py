"""Issue 12, item 4: code is snapshotted, data is not copied. Real repositories, real launches."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.config.settings import SnapshotSettings
from snaptui.engine.snapshot.policy import SnapshotTooBig, match_exclude
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, write_sweep
from tests.test_results_land import unchanged, user_state

pytestmark = pytest.mark.timeout(180)


def objects_bytes(repo: Path) -> int:
    return sum(p.stat().st_size for p in (repo / ".git" / "objects").rglob("*") if p.is_file())


def set_snapshot(repo: Path, **keys) -> None:
    lines = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in keys.items())
    text = (repo / "snaptui.toml").read_text().replace("[snapshot]\n", "[snapshot]\n" + lines)
    (repo / "snaptui.toml").write_text(text)


@pytest.fixture
def repo(git_repo):
    (git_repo / "train.py").write_text(textwrap.dedent('''\
        import os, sys
        names = sorted(os.listdir("checkpoints"))
        print("checkpoints seen:", len(names), flush=True)
        with open(os.path.join("checkpoints", f"new-{sys.argv[1]}.ckpt"), "wb") as f:
            f.write(b"w" * 1000)
    '''))
    ckpt = git_repo / "checkpoints"
    ckpt.mkdir()
    for i in range(8):
        (ckpt / f"epoch{i}.ckpt").write_bytes(os.urandom(1536 * 1024))  # 1.5 MB each, untracked, not ignored
    (git_repo / "helper.py").write_text("X = 1\n")  # untracked code: goes in
    yield git_repo
    stop_everything(git_repo)


def test_untracked_checkpoints_are_linked_not_copied_and_new_ones_land_in_the_repository(repo):
    engine, before, objects = Engine(repo), user_state(repo), objects_bytes(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "ckpt"
        command = ["python", "train.py", "{i}"]
        override_style = "placeholder"
        [grid]
        i = [0, 1]
    ''')))
    wait_sweep_done(engine, sweep.id)
    assert objects_bytes(repo) - objects < 1024 * 1024  # 12 MB of checkpoints, none of it hashed
    linked = sweep.snapshot["linked"]
    assert [e["path"] for e in linked] == ["checkpoints"] and linked[0]["files"] == 8
    assert "max_untracked_mb" in linked[0]["reason"]
    worktree = Path(sweep.snapshot["worktree"])
    assert os.readlink(worktree / "checkpoints") == str(repo / "checkpoints")
    tree = git(repo, "ls-tree", "-r", "--name-only", sweep.snapshot["commit"]).split()
    assert "helper.py" in tree and not any(p.startswith("checkpoints") for p in tree)
    for job in engine.jobs(sweep.id):
        assert "checkpoints seen:" in engine.log_paths(job)[0].read_text()
    assert sorted(p.name for p in (repo / "checkpoints").glob("new-*")) == ["new-0.ckpt", "new-1.ckpt"]
    shown = run_cli(["show", f"{sweep.id}/0"], cwd=repo).stdout
    assert '"checkpoints"' in shown  # the manifest lists what was linked
    assert run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=repo).returncode == 0
    assert len(list((repo / "checkpoints").iterdir())) == 10  # gc left the live data alone
    engine.resubmit([engine.jobs(sweep.id)[0]])  # the worktree comes back, with its data linked again
    wait_sweep_done(engine, sweep.id)
    assert engine.jobs(sweep.id)[0].state.value == "COMPLETED"
    assert "checkpoints seen: 10" in engine.log_paths(engine.jobs(sweep.id)[0])[0].read_text()
    assert unchanged(before, user_state(repo))


def test_exclude_patterns_link_data_even_in_a_folder_with_tracked_code(repo):
    (repo / "data").mkdir()
    (repo / "data" / "README.md").write_text("how the data is made\n")
    git(repo, "add", "data/README.md")
    git(repo, "commit", "-qm", "data readme")
    (repo / "data" / "raw").mkdir()
    for i in range(3):
        (repo / "data" / "raw" / f"{i}.csv").write_text("a,b\n1,2\n")
    (repo / "data" / "notes.txt").write_text("small, untracked, not excluded\n")
    (repo / "model.pt").write_bytes(b"m" * 100)
    set_snapshot(repo, exclude=["data/raw/", "*.pt"])
    engine, before = Engine(repo), user_state(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, 'name = "ex"\ncommand = ["ls", "data/raw"]\n')))
    wait_sweep_done(engine, sweep.id)
    linked = {e["path"]: e["reason"] for e in sweep.snapshot["linked"]}
    assert set(linked) == {"data/raw", "model.pt", "checkpoints"}
    assert "snapshot.exclude 'data/raw/'" in linked["data/raw"] and "'*.pt'" in linked["model.pt"]
    tree = git(repo, "ls-tree", "-r", "--name-only", sweep.snapshot["commit"]).split()
    assert "data/README.md" in tree and "data/notes.txt" in tree and "data/raw/0.csv" not in tree
    worktree = Path(sweep.snapshot["worktree"])
    assert not (worktree / "data").is_symlink() and (worktree / "data" / "raw").is_symlink()
    assert "0.csv" in engine.log_paths(engine.jobs(sweep.id)[0])[0].read_text()
    assert unchanged(before, user_state(repo))


def test_dry_run_shows_files_bytes_and_what_is_linked_and_why(repo):
    before = user_state(repo)
    done = run_cli(["--batch", str(write_sweep(repo, 'name = "d"\ncommand = ["python", "train.py", "0"]\n')),
                    "--dry-run"], cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "untracked" in done.stdout and "linked, not copied (12.0 MB)" in done.stdout
    assert "checkpoints (12.0 MB, 8 files): every file in it is larger than snapshot.max_untracked_mb = 1" \
        in done.stdout
    assert git(repo, "branch", "--list", "snaptui/*") == ""
    assert unchanged(before, user_state(repo))


def test_too_much_untracked_data_is_refused_naming_the_largest_and_leaves_nothing(repo):
    images = repo / "images"
    images.mkdir()
    for i in range(40):
        (images / f"{i}.png").write_bytes(os.urandom(300 * 1024))  # small files: each under the per-file limit
    set_snapshot(repo, max_total_mb=5)
    before, objects, refs = user_state(repo), objects_bytes(repo), git(repo, "for-each-ref")
    sweep_file = write_sweep(repo, 'name = "big"\ncommand = ["true"]\n')
    dry = run_cli(["--batch", str(sweep_file), "--dry-run"], cwd=repo)
    assert dry.returncode == 2 and "images/ (40 files)" in dry.stderr   # refused as the launch is: stderr, exit 2
    done = run_cli(["--batch", str(sweep_file)], cwd=repo)
    assert done.returncode == 2
    assert "more than snapshot.max_total_mb = 5" in done.stderr and "images/ (40 files)" in done.stderr
    assert 'snapshot.exclude = ["images"]' in done.stderr
    assert "Traceback" not in done.stderr
    assert git(repo, "for-each-ref") == refs
    assert objects_bytes(repo) - objects < 4096  # the edited snaptui.toml at most: no image was hashed
    assert "snaptui" not in git(repo, "worktree", "list")
    assert Engine(repo).store.sweeps(statuses=("active", "launching")) == []
    assert unchanged(before, user_state(repo))
    plan = Engine(repo).plan(sweep_file)   # the checked plan carries the refusal a launch would raise
    assert isinstance(plan.refusal, SnapshotTooBig) and plan.preview.untracked_bytes > 5 * 1024 * 1024


@pytest.mark.parametrize("path,patterns,expected", [
    ("data/raw/1.csv", ["data/"], ("data", "data/")),
    ("a/data/x", ["data/"], ("a/data", "data/")),
    ("a/data", ["data/"], None),                      # a file named data: folders only
    ("model.pt", ["*.pt"], ("model.pt", "*.pt")),
    ("deep/er/w.pt", ["*.pt"], ("deep/er/w.pt", "*.pt")),
    ("sub/data/x", ["/data"], None),                  # anchored at the root
    ("logs/2024/a.txt", ["logs/**/*.txt"], ("logs/2024/a.txt", "logs/**/*.txt")),
    ("src/main.py", ["data/", "*.pt"], None),
])
def test_exclude_patterns_read_like_gitignore(path, patterns, expected):
    assert match_exclude(path, patterns) == expected


def test_hashing_reports_progress_up_to_the_total(repo, tmp_path):
    from snaptui.engine.snapshot.hashing import HASH_CHUNK_BYTES
    from snaptui.engine.snapshot.snapshots import take_snapshot
    calls = []
    s = take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"), max_untracked_mb=0),
                      progress=lambda done, total: calls.append((done, total)))
    total = sum(p.stat().st_size for p in (repo / "checkpoints").iterdir()) + (repo / "helper.py").stat().st_size \
        + (repo / "train.py").stat().st_size
    assert calls[-1] == (total, total) and len(calls) >= total // HASH_CHUNK_BYTES
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert "checkpoints/epoch0.ckpt" in git(repo, "ls-tree", "-r", "--name-only", s.commit)

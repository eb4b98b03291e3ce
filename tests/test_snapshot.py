"""Snapshots against real git repositories (no mocks): the user's repo must never change."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from snaptui.engine.snapshot import snapshots as snap
from snaptui.engine.config.settings import SnapshotSettings
from snaptui.engine.errors import ConfigError, SnaptuiError
from snaptui.engine.snapshot.snapshots import (Snapshot, SnapshotError, delete_branch, diff_summary, discard_snapshot,
    find_repo_root, list_snapshots, remove_worktree, take_snapshot, worktree_disk_usage)

ROOT = Path(__file__).resolve().parents[1]


def git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"git {args} failed: {proc.stderr}")
    return proc.stdout


def show(repo: Path, commit: str, path: str) -> str:
    return git(repo, "show", f"{commit}:{path}")


def tree_paths(repo: Path, commit: str) -> set[str]:
    return set(filter(None, git(repo, "ls-tree", "-r", "-z", "--name-only", commit).split("\0")))


def user_state(repo: Path) -> dict:
    """Everything a snapshot must leave alone (plus refs/worktrees, to prove rollbacks)."""
    index = repo / ".git" / "index"
    return {
        "index": hashlib.sha256(index.read_bytes()).hexdigest() if index.exists() else None,
        "head": git(repo, "rev-parse", "-q", "--verify", "HEAD", check=False),
        "branch": git(repo, "symbolic-ref", "-q", "HEAD", check=False),
        "stash": git(repo, "stash", "list"),
        "status": git(repo, "--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=all"),
    }


def repo_objects(repo: Path) -> dict:
    return {"refs": git(repo, "for-each-ref"), "worktrees": git(repo, "worktree", "list", "--porcelain")}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path, monkeypatch):
    """No global/system git config, no real ~/.cache: every test sees the same git."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL",
                "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var, raising=False)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    return tmp


def init_repo(path: Path, identity: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    if identity:
        git(path, "config", "user.name", "Test User")
        git(path, "config", "user.email", "test@example.com")
    return path


@pytest.fixture
def repo(tmp_path) -> Path:
    r = init_repo(tmp_path / "repo")
    (r / "src").mkdir()
    (r / "src" / "model.py").write_text("VALUE = 1\n")
    (r / "src" / "util.py").write_text("def f():\n    return 2\n")
    (r / "README.md").write_text("hello\n")
    (r / "data.txt").write_text("keep\n")
    (r / ".gitignore").write_text("*.log\n/cache/\n")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "initial")
    return r


@pytest.fixture
def settings(tmp_path) -> SnapshotSettings:
    return SnapshotSettings(worktree_root=str(tmp_path / "worktrees"))


def dirty(repo: Path) -> None:
    (repo / "src" / "model.py").write_text("VALUE = 42\n")
    (repo / "data.txt").unlink()
    (repo / "notes new.txt").write_text("untracked\n")
    (repo / "debug.log").write_text("ignored\n")


# ---------------------------------------------------------------------------- content


def test_snapshot_records_edits_deletions_and_untracked_but_not_ignored(repo, settings, isolated_git):
    dirty(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    s = take_snapshot(repo, settings)
    assert s.dirty and s.base_commit == head
    assert git(repo, "rev-parse", f"{s.commit}^").strip() == head
    assert show(repo, s.commit, "src/model.py") == "VALUE = 42\n"
    paths = tree_paths(repo, s.commit)
    assert "data.txt" not in paths and "notes new.txt" in paths and "debug.log" not in paths
    assert git(repo, "rev-parse", f"refs/heads/{s.branch}").strip() == s.commit
    assert (s.worktree / "src" / "model.py").read_text() == "VALUE = 42\n"
    assert not (s.worktree / "data.txt").exists()
    assert os.readlink(s.worktree / "debug.log") == str(repo / "debug.log")  # ignored: linked, not copied
    assert git(s.worktree, "rev-parse", "HEAD").strip() == s.commit
    assert sorted(diff_summary(repo, s.branch)) == [("A", "notes new.txt"), ("D", "data.txt"), ("M", "src/model.py")]
    assert s.branch.startswith("snaptui/") and s.worktree.name == s.branch.replace("/", "-")
    assert s.worktree.is_absolute()
    assert leftovers(isolated_git) == []


def test_staged_and_unstaged_edits_both_taken_from_working_tree(repo, settings):
    (repo / "README.md").write_text("staged\n")
    git(repo, "add", "README.md")
    (repo / "README.md").write_text("staged then edited\n")
    s = take_snapshot(repo, settings)
    assert show(repo, s.commit, "README.md") == "staged then edited\n"


def test_user_repo_is_untouched(repo, settings):
    (repo / "README.md").write_text("stashed\n")
    git(repo, "stash", "-q")
    (repo / "src" / "util.py").write_text("partially staged\n")
    git(repo, "add", "src/util.py")
    dirty(repo)
    before = user_state(repo)
    mtime = (repo / ".git" / "index").stat().st_mtime_ns
    take_snapshot(repo, settings)
    assert user_state(repo) == before
    assert (repo / ".git" / "index").stat().st_mtime_ns == mtime
    assert git(repo, "diff", "--cached", "--name-only").split() == ["src/util.py"]


def test_clean_tree_reuses_head_but_still_branches(repo, settings):
    head = git(repo, "rev-parse", "HEAD").strip()
    s = take_snapshot(repo, settings)
    assert s.commit == head and s.base_commit == head and not s.dirty
    assert git(repo, "rev-parse", f"refs/heads/{s.branch}").strip() == head
    assert (s.worktree / "src" / "model.py").read_text() == "VALUE = 1\n"
    assert diff_summary(repo, s.branch) == []


def test_edit_after_snapshot_does_not_reach_the_worktree(repo, settings):
    (repo / "src" / "model.py").write_text("VALUE = 'snapshotted'\n")
    s = take_snapshot(repo, settings)
    (repo / "src" / "model.py").write_text("VALUE = 'edited later'\n")
    code = "import sys; sys.path.insert(0, 'src'); import model; print(model.VALUE)"
    out = subprocess.run([sys.executable, "-c", code], cwd=s.worktree, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "snapshotted"


def test_unicode_spaces_and_symlinks_in_tree(repo, settings):
    (repo / "dir with space").mkdir()
    (repo / "dir with space" / "résumé 日本.txt").write_text("ü\n")
    os.symlink("src/model.py", repo / "model-link.py")
    os.symlink("dir with space", repo / "dirlink")
    s = take_snapshot(repo, settings)
    assert (s.worktree / "dir with space" / "résumé 日本.txt").read_text() == "ü\n"
    assert os.readlink(s.worktree / "model-link.py") == "src/model.py"
    assert os.readlink(s.worktree / "dirlink") == "dir with space"
    assert ("A", "dir with space/résumé 日本.txt") in diff_summary(repo, s.commit)


# ---------------------------------------------------------------------------- branch names


def test_two_snapshots_in_the_same_second_get_distinct_branches(repo, settings):
    a, b = take_snapshot(repo, settings), take_snapshot(repo, settings)
    assert a.branch != b.branch and a.worktree != b.worktree
    assert a.worktree.is_dir() and b.worktree.is_dir()


def test_clashing_id_retries_instead_of_overwriting(repo, settings, monkeypatch):
    ids = iter(["aaaaaa", "aaaaaa", "bbbbbb"])
    monkeypatch.setattr(snap, "_short_id", lambda: next(ids))
    monkeypatch.setattr(snap.time, "time", lambda: 1_700_000_000.0)
    a = take_snapshot(repo, settings)
    (repo / "README.md").write_text("second\n")
    b = take_snapshot(repo, settings)
    assert a.branch == "snaptui/20231114-221320-aaaaaa"  # UTC
    assert b.branch == "snaptui/20231114-221320-bbbbbb"
    assert git(repo, "rev-parse", f"refs/heads/{a.branch}").strip() == a.commit != b.commit


def test_two_processes_clash_and_both_succeed(repo, settings, tmp_path):
    script = textwrap.dedent(f"""
        import json, sys, time
        from pathlib import Path
        from snaptui.engine.snapshot import snapshots as snap
        from snaptui.engine.config.settings import SnapshotSettings
        first = iter(["cafe00"])
        snap._short_id = lambda: next(first, None) or __import__("secrets").token_hex(3)
        snap.time.time = lambda: 1_700_000_000.0
        while time.monotonic() < float(sys.argv[1]):
            pass
        s = snap.take_snapshot(Path({str(repo)!r}), SnapshotSettings(worktree_root={settings.worktree_root!r}))
        print(json.dumps(s.to_dict()))
    """)
    import time
    start = time.monotonic() + 1.0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    snaps = [Snapshot.from_dict(json.loads(out)) for out, _ in results]
    assert snaps[0].branch != snaps[1].branch
    assert {s.branch.rsplit("-", 1)[1] for s in snaps} & {"cafe00"}
    assert len(list_snapshots(repo, "snaptui")) == 2


def test_branch_prefix_blocked_by_existing_branch(repo, settings):
    git(repo, "branch", "snaptui")
    before = repo_objects(repo)
    with pytest.raises(SnapshotError, match="branch_prefix"):
        take_snapshot(repo, settings)
    assert repo_objects(repo) == before


# ---------------------------------------------------------------------------- symlinks


def test_symlink_paths_point_into_the_repo(repo, settings):
    (repo / "outputs").mkdir()
    s = take_snapshot(repo, settings)
    for name in ("outputs", ".submitit"):
        link = s.worktree / name
        assert link.is_symlink() and os.readlink(link) == str(repo / name)
        assert (repo / name).is_dir()
    (s.worktree / "outputs" / "result.txt").write_text("42")
    assert (repo / "outputs" / "result.txt").read_text() == "42"
    # a result folder the repository does not have is not made for nothing (jobs' files land there at their end)
    assert not os.path.lexists(s.worktree / "multirun") and not os.path.lexists(repo / "multirun")


def test_tracked_symlink_path_replaced_in_worktree_only(repo, tmp_path):
    (repo / "outputs").mkdir()
    (repo / "outputs" / "tracked.txt").write_text("tracked\n")
    (repo / "data").mkdir()
    (repo / "data" / "out").write_text("a tracked file\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "outputs")
    (repo / "outputs" / "big-result.bin").write_bytes(b"x" * 1000)  # untracked, not hashed
    (repo / "deep" / "er" / "dir").mkdir(parents=True)
    before = user_state(repo)
    s = take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"),
                                             symlink_paths=("outputs", "data/out", "deep/er/dir")))
    assert "outputs/big-result.bin" not in tree_paths(repo, s.commit)
    assert os.readlink(s.worktree / "outputs") == str(repo / "outputs")
    assert os.readlink(s.worktree / "data" / "out") == str(repo / "data" / "out")
    assert (repo / "data" / "out").read_text() == "a tracked file\n"
    assert os.readlink(s.worktree / "deep" / "er" / "dir") == str(repo / "deep" / "er" / "dir")
    assert (repo / "outputs" / "tracked.txt").read_text() == "tracked\n"
    assert user_state(repo) == before
    remove_worktree(repo, s.worktree)
    assert (repo / "outputs" / "big-result.bin").exists() and (repo / "outputs" / "tracked.txt").exists()


@pytest.mark.parametrize("entry", ["/abs/outputs", "../outside", "a/../../x", "~/out", ".git/hooks", "."])
def test_bad_symlink_paths_rejected(repo, tmp_path, entry):
    before, state = repo_objects(repo), user_state(repo)
    with pytest.raises(ConfigError, match="symlink_paths"):
        take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"), symlink_paths=(entry,)))
    assert repo_objects(repo) == before and user_state(repo) == state
    assert not (tmp_path / "wt").exists()


def test_symlink_path_escaping_through_repo_symlink_rejected(repo, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", repo / "escape")
    with pytest.raises(ConfigError, match="outside the repository"):
        take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"), symlink_paths=("escape/out",)))


# ---------------------------------------------------------------------------- atomicity


def leftovers(tmpdir: Path) -> list[str]:
    return [p.name for p in tmpdir.iterdir() if p.name.startswith("snaptui-index-")]


def test_worktree_root_is_a_file_leaves_nothing(repo, tmp_path, isolated_git):
    dirty(repo)
    (tmp_path / "afile").write_text("")
    before, state = repo_objects(repo), user_state(repo)
    for root in (tmp_path / "afile", tmp_path / "afile" / "below"):
        with pytest.raises(SnaptuiError, match="worktree"):
            take_snapshot(repo, SnapshotSettings(worktree_root=str(root)))
        assert repo_objects(repo) == before and user_state(repo) == state
    assert leftovers(isolated_git) == []


def test_failure_after_worktree_rolls_back_worktree_branch_and_dirs(repo, tmp_path, isolated_git, monkeypatch):
    from snaptui.engine.snapshot import snapshots as snapshots_mod

    before, state = repo_objects(repo), user_state(repo)
    real_link, calls = snapshots_mod.link_shared_paths, []

    def link_then_fail(*args):  # `.submitit` gets created in the repo, then linking the data fails
        calls.append(args)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        real_link(*args)

    monkeypatch.setattr(snapshots_mod, "link_shared_paths", link_then_fail)
    with pytest.raises(SnaptuiError, match="cannot link"):
        take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"), symlink_paths=(".submitit",)))
    assert len(calls) == 2
    assert repo_objects(repo) == before and user_state(repo) == state
    assert not (repo / ".submitit").exists()
    assert list((tmp_path / "wt").iterdir()) == []
    assert leftovers(isolated_git) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_unwritable_worktree_root_leaves_nothing(repo, tmp_path):
    root = tmp_path / "ro"
    root.mkdir(mode=0o500)
    before = repo_objects(repo)
    try:
        with pytest.raises(SnaptuiError):
            take_snapshot(repo, SnapshotSettings(worktree_root=str(root)))
    finally:
        root.chmod(0o700)
    assert repo_objects(repo) == before


def test_discard_snapshot_is_idempotent(repo, settings):
    before = repo_objects(repo)
    s = take_snapshot(repo, settings)
    discard_snapshot(repo, s)
    discard_snapshot(repo, s)
    assert repo_objects(repo) == before and not s.worktree.exists()


# ---------------------------------------------------------------------------- edge cases


def test_not_a_git_repository(tmp_path, settings):
    (tmp_path / "plain").mkdir()
    with pytest.raises(SnaptuiError, match="is not inside a git repository"):
        find_repo_root(tmp_path / "plain")
    with pytest.raises(SnaptuiError, match="is not inside a git repository"):
        take_snapshot(tmp_path / "plain", settings)
    with pytest.raises(SnaptuiError, match="does not exist"):
        find_repo_root(tmp_path / "missing" / "deeper")


def test_bare_repository_refused(tmp_path):
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    with pytest.raises(SnaptuiError, match="needs a working tree"):
        find_repo_root(tmp_path / "bare.git")


def test_split_index_repo_leaves_no_new_shared_index(repo, settings):
    git(repo, "update-index", "--split-index")
    git(repo, "config", "core.splitIndex", "true")
    shared = sorted(p.name for p in (repo / ".git").glob("sharedindex.*"))
    dirty(repo)
    before = user_state(repo)
    s = take_snapshot(repo, settings)
    assert show(repo, s.commit, "src/model.py") == "VALUE = 42\n"
    assert sorted(p.name for p in (repo / ".git").glob("sharedindex.*")) == shared
    assert user_state(repo) == before


def test_find_repo_root_from_subdirectory(repo, settings):
    assert find_repo_root(repo / "src") == repo
    s = take_snapshot(repo / "src", settings)
    assert os.readlink(s.worktree / ".submitit") == str(repo / ".submitit")
    assert "/.snaptui/" in (repo / ".git" / "info" / "exclude").read_text()
    assert not (repo / "src" / ".git").exists()


def test_unborn_head_commits_without_parent(tmp_path, settings):
    r = init_repo(tmp_path / "fresh")
    (r / "train.py").write_text("print(1)\n")
    s = take_snapshot(r, settings)
    assert s.base_commit is None and s.dirty
    assert git(r, "rev-list", "--parents", "-n1", s.commit).split() == [s.commit]
    assert (s.worktree / "train.py").read_text() == "print(1)\n"
    assert git(r, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(r, "rev-parse", "-q", "--verify", "HEAD", check=False) == ""
    assert diff_summary(r, s.branch) == [("A", "train.py")]


def test_detached_head(repo, settings):
    git(repo, "checkout", "-q", "--detach")
    (repo / "README.md").write_text("detached\n")
    s = take_snapshot(repo, settings)
    assert s.base_commit == git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "symbolic-ref", "-q", "HEAD", check=False) == ""


def _conflict(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "README.md").write_text("other\n")
    git(repo, "commit", "-q", "-am", "other")
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("main\n")
    git(repo, "commit", "-q", "-am", "main")


def test_merge_conflict_refused_with_clear_message(repo, settings):
    _conflict(repo)
    git(repo, "merge", "other", check=False)
    before, state = repo_objects(repo), user_state(repo)
    with pytest.raises(SnapshotError, match="resolve the merge conflict first") as err:
        take_snapshot(repo, settings)
    assert "README.md" in str(err.value)
    assert repo_objects(repo) == before and user_state(repo) == state


def test_rebase_stopped_on_conflict_refused(repo, settings):
    _conflict(repo)
    git(repo, "rebase", "other", check=False)
    assert (repo / ".git" / "rebase-merge").exists() or (repo / ".git" / "rebase-apply").exists()
    before = repo_objects(repo)
    with pytest.raises(SnapshotError, match="resolve the merge conflict first"):
        take_snapshot(repo, settings)
    assert repo_objects(repo) == before


def test_rebase_in_progress_without_conflict_works(repo, settings):
    _conflict(repo)
    git(repo, "rebase", "other", check=False)
    (repo / "README.md").write_text("resolved\n")
    git(repo, "add", "README.md")
    s = take_snapshot(repo, settings)
    assert (s.worktree / "README.md").read_text() == "resolved\n"
    assert s.base_commit == git(repo, "rev-parse", "HEAD").strip()


def test_merge_in_progress_without_conflict_works(repo, settings):
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "new.txt").write_text("from other\n")
    git(repo, "add", "new.txt")
    git(repo, "commit", "-q", "-m", "other")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "--no-ff", "--no-commit", "other")
    s = take_snapshot(repo, settings)
    assert (s.worktree / "new.txt").read_text() == "from other\n"
    assert (repo / ".git" / "MERGE_HEAD").exists()


def test_submodule_recorded_as_commit_with_warning(repo, settings, tmp_path):
    lib = init_repo(tmp_path / "lib")
    (lib / "lib.py").write_text("X = 1\n")
    git(lib, "add", "-A")
    git(lib, "commit", "-q", "-m", "lib")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    git(repo, "commit", "-q", "-m", "submodule")
    (repo / "vendor" / "lib" / "lib.py").write_text("X = 'uncommitted'\n")
    s = take_snapshot(repo, settings)
    assert any("submodules (vendor/lib)" in w for w in s.warnings)
    lib_head = git(lib, "rev-parse", "HEAD").strip()
    assert git(repo, "ls-tree", s.commit, "vendor/lib").split()[:3] == ["160000", "commit", lib_head]
    assert (s.worktree / "vendor" / "lib").is_dir() and not any((s.worktree / "vendor" / "lib").iterdir())
    remove_worktree(repo, s.worktree)
    assert not s.worktree.exists()


def test_large_untracked_file_is_linked_not_committed(repo, tmp_path):
    (repo / "big data.bin").write_bytes(b"\0" * 300_000)
    (repo / "small.txt").write_text("s")
    s = take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"), max_untracked_mb=0.1))
    assert [e["path"] for e in s.linked] == ["big data.bin"] and "max_untracked_mb" in s.linked[0]["reason"]
    assert "big data.bin" not in tree_paths(repo, s.commit) and "small.txt" in tree_paths(repo, s.commit)
    assert os.readlink(s.worktree / "big data.bin") == str(repo / "big data.bin")
    s2 = take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"), max_untracked_mb=0))
    assert s2.linked == () and "big data.bin" in tree_paths(repo, s2.commit)


def test_dot_snaptui_and_inrepo_worktree_root_excluded(repo):
    (repo / ".snaptui").mkdir()
    (repo / ".snaptui" / "state.db").write_text("db")
    settings = SnapshotSettings(worktree_root="wt-inside")
    s1 = take_snapshot(repo, settings)
    assert s1.worktree.parent == repo / "wt-inside"
    s2 = take_snapshot(repo, settings)
    paths = tree_paths(repo, s2.commit)
    assert not any(p.startswith((".snaptui", "wt-inside")) for p in paths)
    assert not s2.dirty
    exclude = (repo / ".git" / "info" / "exclude").read_text().splitlines()
    assert exclude.count("/.snaptui/") == 1 and exclude.count("/wt-inside/") == 1
    assert git(repo, "status", "--porcelain") == ""


def test_default_worktree_root_in_user_cache(repo):
    s = take_snapshot(repo, SnapshotSettings())
    digest = hashlib.sha1(str(repo).encode()).hexdigest()[:8]
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "snaptui" / "worktrees" / f"repo-{digest}"
    assert s.worktree.parent == cache


def test_no_identity_configured_uses_fallback(tmp_path, settings):
    r = init_repo(tmp_path / "anon", identity=False)
    (r / "a.txt").write_text("a\n")
    s = take_snapshot(r, settings)
    assert git(r, "log", "-1", "--format=%an <%ae>|%cn <%ce>", s.commit).strip() == \
        "snaptui <snaptui@localhost>|snaptui <snaptui@localhost>"


def test_configured_identity_is_used(repo, settings):
    dirty(repo)
    s = take_snapshot(repo, settings)
    assert git(repo, "log", "-1", "--format=%an <%ae>", s.commit).strip() == "Test User <test@example.com>"


def test_user_hooks_do_not_run(repo, settings):
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {repo.parent / 'hook-ran'}\n")
    hook.chmod(0o755)
    dirty(repo)
    take_snapshot(repo, settings)
    assert not (repo.parent / "hook-ran").exists()


def test_works_while_index_is_locked(repo, settings):
    dirty(repo)
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    try:
        s = take_snapshot(repo, settings)
    finally:
        lock.unlink()
    assert show(repo, s.commit, "src/model.py") == "VALUE = 42\n"


# ---------------------------------------------------------------------------- push


def test_push_to_remote(repo, tmp_path):
    from snaptui.engine.snapshot.push import main as push
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    dirty(repo)
    s = take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"), push_to_remote=True))
    assert s.warnings == ()
    assert push(str(repo), "origin", s.branch, s.commit, str(tmp_path / "push.log")) == 0
    assert git(remote, "rev-parse", f"refs/heads/{s.branch}").strip() == s.commit
    assert f"pushed {s.branch} to origin" in (tmp_path / "push.log").read_text()


def test_push_failure_is_logged(repo, tmp_path):
    from snaptui.engine.snapshot.push import main as push
    s = take_snapshot(repo, SnapshotSettings(worktree_root=str(tmp_path / "wt"), push_to_remote=True,
                                             remote="nowhere"))
    assert push(str(repo), "nowhere", s.branch, s.commit, str(tmp_path / "push.log")) == 1
    assert f"could not push {s.branch} to nowhere" in (tmp_path / "push.log").read_text()
    assert s.worktree.is_dir()


# ---------------------------------------------------------------------------- housekeeping


def test_list_remove_delete(repo, settings):
    dirty(repo)
    a = take_snapshot(repo, settings)
    b = take_snapshot(repo, settings)
    infos = {i.branch: i for i in list_snapshots(repo, "snaptui")}
    assert set(infos) == {a.branch, b.branch}
    assert infos[a.branch].commit == a.commit and infos[a.branch].worktree == a.worktree
    assert infos[a.branch].dirty and infos[a.branch].disk_usage == worktree_disk_usage(a.worktree) > 0
    assert abs(infos[a.branch].created_at - a.created_at) < 1.5
    remove_worktree(repo, a.worktree)
    remove_worktree(repo, a.worktree)  # idempotent
    assert not a.worktree.exists()
    infos = {i.branch: i for i in list_snapshots(repo, "snaptui")}
    assert infos[a.branch].worktree is None and infos[a.branch].disk_usage == 0
    delete_branch(repo, a.branch)
    delete_branch(repo, a.branch)
    assert [i.branch for i in list_snapshots(repo, "snaptui")] == [b.branch]
    assert list_snapshots(repo, "other") == []


def test_remove_worktree_refuses_foreign_directory(repo, tmp_path):
    foreign = tmp_path / "not-a-worktree"
    foreign.mkdir()
    (foreign / "precious").write_text("x")
    with pytest.raises(SnapshotError, match="not a git worktree"):
        remove_worktree(repo, foreign)
    assert (foreign / "precious").exists()


def test_delete_branch_refuses_checked_out_branch(repo, settings):
    s = take_snapshot(repo, settings)
    git(repo, "checkout", "-q", s.branch)
    with pytest.raises(SnapshotError, match="cannot delete"):
        delete_branch(repo, s.branch)


def test_disk_usage_does_not_follow_symlinks(repo, settings):
    (repo / "outputs").mkdir()
    s = take_snapshot(repo, settings)
    base = worktree_disk_usage(s.worktree)
    (repo / "outputs" / "huge.bin").write_bytes(os.urandom(2_000_000))
    assert worktree_disk_usage(s.worktree) == base
    (s.worktree / "own.bin").write_bytes(os.urandom(1_000_000))
    assert worktree_disk_usage(s.worktree) >= base + 1_000_000


def test_snapshot_dict_round_trip(repo, settings):
    dirty(repo)
    s = take_snapshot(repo, settings)
    assert Snapshot.from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_git_in_a_folder_that_is_gone_fails_instead_of_running_in_the_current_repository(git_repo, tmp_path,
                                                                                         monkeypatch):
    from snaptui.engine import gitrepo

    monkeypatch.chdir(git_repo)   # GitPython runs git here when the folder it was given does not exist
    gone = tmp_path / "worktree-removed-meanwhile"
    with pytest.raises(gitrepo.GitFailed, match="No such directory"):
        gitrepo.run(gitrepo.git_for(gone), "rev-parse", "--show-toplevel")
    with pytest.raises(gitrepo.GitFailed, match="No such directory"):
        gitrepo.run_in(gone, "status")


def test_an_output_folder_made_by_another_launch_meanwhile_is_linked_and_left_to_it(tmp_path, monkeypatch):
    """Two launches in the same second: both see `outputs` missing, the other makes it first. The link is
    still made, and the folder is not recorded as ours to remove on a rollback (before: FileExistsError,
    'cannot link outputs ...', the launch failed; seen once under load in the fault suite)."""
    from snaptui.engine import gitrepo

    repo_root, worktree = tmp_path / "repo", tmp_path / "wt"
    (repo_root / "outputs").mkdir(parents=True)   # made by the other launch after this one looked
    worktree.mkdir()
    looked = os.path.lexists
    monkeypatch.setattr(gitrepo.os.path, "lexists",
                        lambda p: False if Path(p) == repo_root / "outputs" else looked(p))
    created: list[Path] = []
    gitrepo.link_shared_paths(repo_root, worktree, ["outputs"], created)
    assert (worktree / "outputs").is_symlink() and (worktree / "outputs").resolve() == repo_root / "outputs"
    assert created == []

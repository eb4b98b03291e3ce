"""Hostile input and other users: passed literally, refused clearly, never evaluated, never shared."""
from __future__ import annotations

import ast
import json
import os
import stat
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.errors import ConfigError, SnaptuiError
from snaptui.engine.states import JobState
from tests.conftest import ROOT, run_cli, stop_everything, wait_sweep_done, write_sweep

pytestmark = pytest.mark.timeout(120)

NASTY = ["; rm -rf ~", "$(touch pwned)", "`touch pwned`", "a\nb", "--help", "-rf", "x' \"y", "*", "{}", "€ ü"]


@pytest.fixture
def engine(git_repo):
    yield Engine(git_repo)
    stop_everything(git_repo)


def test_values_with_shell_metacharacters_newlines_and_dashes_reach_the_job_literally(engine, report):
    (engine.repo_root / "echo_args.py").write_text(
        "import json, sys\nprint('ARGS ' + json.dumps(sys.argv[1:]))\n")
    values = ", ".join(json.dumps(v) for v in NASTY)
    sweep = engine.launch(engine.plan(write_sweep(engine.repo_root, f'''
        name = "nasty"
        command = ["python", "echo_args.py", "{{v}}"]
        override_style = "placeholder"
        [grid]
        v = [{values}]
    ''')))
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: len(NASTY)}
    echoed = []
    for job in engine.jobs(sweep.id):
        line = next(t for t in engine.log_paths(job)[0].read_text().splitlines() if t.startswith("ARGS "))
        echoed.append(json.loads(line[5:])[0])
    assert echoed == NASTY
    assert not (engine.repo_root / "pwned").exists()
    assert not any(p.name == "pwned" for p in Path(sweep.snapshot["worktree"]).iterdir())
    report("parameter values: ; $( ) ` newline --help -rf quotes * {} unicode",
           "each reached the job as one literal argv element; nothing ran in a shell")


def test_nothing_from_a_sweep_file_is_evaluated(engine, report):
    marker = engine.repo_root.parent / "evaluated"
    path = write_sweep(engine.repo_root, f'''
        name = "eval"
        command = ["python", "job.py"]
        [grid]
        a = "range(__import__('os').system('touch {marker}'))"
        b = "{{__import__('os').system('touch {marker}')}}"
    ''')
    with pytest.raises(ConfigError, match="range\\(\\) takes 1 to 3 numbers"):
        engine.plan(path)
    assert not marker.exists()
    report("code in sweep values (range(__import__...), {...})", "refused as bad input; nothing evaluated")


def test_no_shell_anywhere_in_snaptui():
    offenders = []
    paths = [p for top in ("snaptui", "hydra_plugins", "bench") for p in (ROOT / top).rglob("*.py")]
    assert any("hydra_plugins" in str(p) for p in paths) and any("bench" in str(p) for p in paths)
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "shell" and \
                    not (isinstance(node.value, ast.Constant) and node.value.value is False):
                offenders.append(f"{path}:{node.value.lineno}")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("system", "popen") and \
                    getattr(node.func.value, "id", "") == "os":
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


def test_slurm_values_with_line_breaks_are_refused(tmp_path, report):
    from snaptui.engine.config.settings import ProjectConfig
    (tmp_path / "snaptui.toml").write_text('[profiles.s]\nexecutor = "slurm"\n'
                                           'partition = "debug\\n#SBATCH --uid=0"\nsetup = ["ok", "a\\nb"]\n')
    with pytest.raises(ConfigError) as info:
        ProjectConfig.load(tmp_path)
    assert "profiles.s.partition: must not contain line breaks" in info.value.render()
    assert "profiles.s.setup: must not contain line breaks" in info.value.render()
    report("a Slurm value smuggling an #SBATCH line", "refused with file, line and key")


def test_snaptuis_files_are_private_to_the_user(engine, report):
    sweep = engine.launch(engine.plan(write_sweep(engine.repo_root, 'name = "p"\ncommand = ["python", "job.py"]\n')))
    wait_sweep_done(engine, sweep.id)
    job = engine.jobs(sweep.id)[0]
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)
    assert mode(engine.repo_root / ".snaptui") == 0o700
    assert mode(engine.repo_root / ".snaptui" / "state.db") == 0o600
    assert mode(Path(job.attempt.log_dir)) == 0o700
    assert mode(Path(job.attempt.log_dir) / "snaptui_manifest.json") == 0o600
    assert mode(engine.log_paths(job)[0]) == 0o600
    assert mode(sweep.snapshot["worktree"]) == 0o700
    report("who can read snaptui's files", "store, job folders, logs, manifests, worktrees: user only (0700/0600)")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give the store to another user")
def test_a_store_owned_by_someone_else_is_refused(git_repo, report):
    _ = Engine(git_repo).store  # create it
    db = git_repo / ".snaptui" / "state.db"
    os.chown(db, 65534, 65534)
    with pytest.raises(SnaptuiError, match="belongs to another user; refusing to use it"):
        _ = Engine(git_repo).store
    result = run_cli(["status"], cwd=git_repo)
    assert result.returncode == 1 and "belongs to another user" in result.stderr
    report("a store owned by another user", "refused with a clear message, nothing read or written")


def test_job_ids_that_are_not_ours_are_never_passed_to_the_scheduler(engine, report):
    for ref in ("99999_0", "123", "1/0"):
        result = run_cli(["cancel", ref], cwd=engine.repo_root)
        assert result.returncode == 1, result.stdout
        assert "no sweep" in result.stderr or "not a job reference" in result.stderr
    report("cancel with a raw scheduler id or an unknown job", "refused: only jobs in this repo's store are acted on")

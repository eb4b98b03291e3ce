"""Issue 22, items 5-8: the friction of a first sweep of a real research repository. `--key=value` apps,
results read from lines the trainer already prints, one series per metric, `reproduce` with the job's
whole environment, and a dotted grid key. Real git repositories, real local jobs, the real CLI."""
from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.metrics.service import Metrics
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, write_sweep

pytestmark = pytest.mark.timeout(240)

# A configurator in the style of nanoGPT's: defaults as globals, `--key=value` evaluated as a Python
# literal and checked against the default's type (written for this test; nanoGPT's own code is not copied).
TRAIN = textwrap.dedent('''\
    import json, os, sys
    from ast import literal_eval
    batch_size, learning_rate, compile, out_dir = 64, 6e-4, True, "out"
    for arg in sys.argv[1:]:
        key, val = arg[2:].split("=", 1)
        assert key in globals(), f"unknown config key {key}"
        try:
            attempt = literal_eval(val)
        except (SyntaxError, ValueError):
            attempt = val
        assert type(attempt) == type(globals()[key]), f"{key}: {val!r} is not a {type(globals()[key]).__name__}"
        globals()[key] = attempt
    print(f"config batch_size={batch_size!r} learning_rate={learning_rate!r} compile={compile!r}", flush=True)
    for step in range(3):
        print(f"step {step}: train loss {2.0 - step / 10:.4f}, val loss {2.5 - step / 10:.4f}", flush=True)
    with open(os.path.join(os.environ["SNAPTUI_JOB_DIR"], "metrics.jsonl"), "w") as handle:
        for step in range(3):
            handle.write(json.dumps({"step": step, "val_loss": 2.5 - step / 10}) + "\\n")
    print(f"SNAPTUI_RESULT val_loss={2.5 - 2 / 10}", flush=True)  # the final value, also in metrics.jsonl
''')


@pytest.fixture
def repo(git_repo):
    (git_repo / "train.py").write_text(TRAIN)
    with open(git_repo / "snaptui.toml", "a") as handle:
        handle.write("[results]\npattern = 'step (?P<step>\\d+): train loss (?P<train_loss>[0-9.]+), "
                     "val loss (?P<val_loss>[0-9.]+)'\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "a trainer with a configurator")
    yield git_repo
    stop_everything(git_repo)


def test_a_key_equals_value_app_gets_its_values_in_its_own_spelling(repo):
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "nano"
        command = ["python", "train.py"]
        override_style = "equals"
        [params]
        compile = false
        [grid]
        batch_size = [12]
        learning_rate = [1e-3, 3e-4]
    ''')))
    wait_sweep_done(engine, sweep.id)
    jobs = engine.jobs(sweep.id)
    assert [j.state.value for j in jobs] == ["COMPLETED", "COMPLETED"], engine.log_paths(jobs[0])[1].read_text()
    assert jobs[0].argv[2:] == ["--compile=False", "--batch_size=12", "--learning_rate=0.001"]
    out = engine.log_paths(jobs[1])[0].read_text()
    assert "config batch_size=12 learning_rate=0.0003 compile=False" in out


def test_an_argparse_app_gets_booleans_as_store_true_flags(repo):
    (repo / "flags.py").write_text(textwrap.dedent('''\
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float)
        parser.add_argument("--amp", action="store_true")
        args = parser.parse_args()
        print(f"SNAPTUI_RESULT amp={int(args.amp)}")
    '''))
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "flags"
        command = ["python", "flags.py"]
        override_style = "argparse"
        [grid]
        lr = [0.1]
        amp = [true, false]
    ''')))
    wait_sweep_done(engine, sweep.id)
    assert [(j.state.value, j.attempt.results) for j in engine.jobs(sweep.id)] == [
        ("COMPLETED", {"amp": 1}), ("COMPLETED", {"amp": 0})]


def test_named_groups_read_several_metrics_and_a_metric_in_a_line_and_a_file_is_one_series(repo):
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "named"
        command = ["python", "train.py", "--batch_size=8"]
    ''')))
    wait_sweep_done(engine, sweep.id)
    (job,) = engine.jobs(sweep.id)
    assert job.attempt.results == {"train_loss": 1.8, "val_loss": 2.3}
    metrics = Metrics(engine)
    metrics.update([job])
    assert metrics.metric_names([job]) == ["train_loss", "val_loss"]
    assert metrics.series(job, "train_loss").steps == [0, 1, 2]
    # val loss: printed at steps 0-2, written to metrics.jsonl at steps 0-2, printed once more without a step
    series = metrics.series(job, "val_loss")
    assert series.steps == [0, 1, 2] and series.values == pytest.approx([2.5, 2.4, 2.3])
    shown = run_cli(["metrics", f"{sweep.id}/0", "--metric", "val_loss"], cwd=repo)
    assert shown.returncode == 0, shown.stderr


def test_an_empty_results_table_says_how_results_are_found(repo):
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, 'name = "quiet"\ncommand = ["true"]\n')))
    wait_sweep_done(engine, sweep.id)
    done = run_cli(["results", str(sweep.id)], cwd=repo)
    assert done.returncode == 0
    said = " ".join(done.stderr.split())
    assert "no results: jobs report results by printing lines that match results.pattern" in said
    assert "SNAPTUI_RESULT_FILE" in said and "(?P<val_loss>" in said


REPRO = textwrap.dedent('''\
    """Logs where the README says to point a logger, and reports a result through the result file."""
    import json, os, sys
    folder = os.environ["SNAPTUI_JOB_DIR"]
    seen = {k: os.environ.get(k) for k in ("SNAPTUI_SWEEP_ID", "SNAPTUI_JOB_INDEX", "PYTHONUNBUFFERED")}
    seen["first_on_path"] = os.environ["PYTHONPATH"].split(os.pathsep)[0]
    with open(os.path.join(folder, "train_log.txt"), "w") as handle:
        handle.write(f"seed {sys.argv[1]}: loss {int(sys.argv[1].split('=')[1]) * 0.1:.3f}\\n")
    with open(os.environ["SNAPTUI_RESULT_FILE"], "w") as handle:
        json.dump({"loss": int(sys.argv[1].split("=")[1]) * 0.1, **seen}, handle)
''')


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_reproduce_runs_with_the_jobs_environment_in_a_folder_of_its_own(repo):
    (repo / "repro.py").write_text(REPRO)
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "repro"
        command = ["python", "repro.py"]
        [grid]
        seed = [3]
    ''')))
    wait_sweep_done(engine, sweep.id)
    (job,) = engine.jobs(sweep.id)
    assert job.state.value == "COMPLETED", engine.log_paths(job)[1].read_text()
    original = Path(job.attempt.log_dir)
    before = folder_state(original)
    first = json.loads((original / "snaptui_result.json").read_text())
    again = run_cli(["reproduce", f"{sweep.id}/0"], cwd=repo)
    assert again.returncode == 0, again.stdout + again.stderr
    assert folder_state(original) == before  # the original job's folder is untouched
    (folder,) = (repo / ".submitit" / "reproduce").iterdir()
    assert str(folder) in " ".join(again.stdout.split())
    logged = (folder / "train_log.txt").read_text()
    assert logged == (original / "train_log.txt").read_text() == "seed seed=3: loss 0.300\n"
    second = json.loads((folder / "snaptui_result.json").read_text())
    assert second == first  # same result, same SNAPTUI_* values, the snapshot first on PYTHONPATH
    assert first["first_on_path"] == sweep.snapshot["worktree"] and first["PYTHONUNBUFFERED"] == "1"
    assert first["SNAPTUI_SWEEP_ID"] == str(sweep.id) and first["SNAPTUI_JOB_INDEX"] == "0"


def test_a_dotted_grid_key_that_toml_made_a_table_is_explained(repo):
    sweep_file = write_sweep(repo, '''
        name = "dotted"
        command = ["python", "train.py"]
        [grid]
        model.optimizer.lr = [0.1, 0.01]
    ''')
    done = run_cli(["--batch", str(sweep_file), "--dry-run"], cwd=repo)
    assert done.returncode == 2
    said = " ".join(done.stderr.split())
    assert "sweep.toml:5" in said and "grid.model" in said and 'quote it: "model.optimizer.lr"' in said

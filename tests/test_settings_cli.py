"""`snaptui config`: every effective setting and where its value came from; launch options refused where unused."""
from __future__ import annotations

from snaptui.engine.config.declare import user_settings
from snaptui.engine.config.model import SECTIONS
from snaptui.engine.executors.slurm.settings import SlurmProfile
from tests.conftest import run_cli


def rows_of(stdout: str) -> dict[str, str]:
    """key -> its whole printed line (the key column is the first word)."""
    rows = {}
    for line in stdout.splitlines()[2:]:
        if line and not line.startswith(" "):
            rows[line.split()[0]] = line
    return rows


def test_config_shows_every_setting_of_a_profile_with_its_source(git_repo):
    (git_repo / "snaptui.toml").write_text('[snapshot]\nmax_total_mb = 50\n\n[profiles.slurm]\ntimeout_min = 15\n')
    out = run_cli(["config", "--profile", "slurm", "--set", "cpus_per_task=4"], git_repo,
                  env={"SNAPTUI_MAX_PARALLEL_JOBS": "7"})
    assert out.returncode == 0, out.stderr
    rows = rows_of(out.stdout)
    expected = {*user_settings(SlurmProfile), "profile"} | {
        f"{section}.{key}" for section, cls in SECTIONS.items() if section != "defaults" for key in user_settings(cls)}
    assert expected <= set(rows), expected - set(rows)
    assert rows["profile"].split()[1:3] == ['"slurm"', "--profile"]
    assert rows["timeout_min"].split()[1:4] == ["15", "min", "snaptui.toml:5"]
    assert rows["snapshot.max_total_mb"].split()[1:4] == ["50", "MB", "snaptui.toml:2"]
    assert rows["max_parallel_jobs"].split()[1:3] == ["7", "$SNAPTUI_MAX_PARALLEL_JOBS"]
    assert rows["cpus_per_task"].split()[1:3] == ["4", "--set"]
    assert rows["partition"].split()[1:5] == ['"debug"', "built-in", "profile", "slurm"]
    assert rows["qos"].split()[1:3] == ["(unset)", "default"]


def test_config_names_a_bad_override_like_a_launch_does(git_repo):
    out = run_cli(["config", "--set", "timeout_mn=3"], git_repo)
    assert out.returncode == 2 and "--set: timeout_mn: unknown key" in out.stderr
    assert "did you mean 'timeout_min'?" in out.stderr


def test_a_launch_option_given_to_a_verb_that_does_not_launch_is_refused(git_repo):
    """`snaptui --set timeout_min=3 status 4` would say nothing of the --set (resubmit takes it: its new
    attempts' resources, test_resubmit_changes.py)."""
    out = run_cli(["--set", "timeout_min=3", "status", "1"], git_repo)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "`snaptui status` takes no --set (only resubmit, --batch, launch and config do)" in \
        " ".join(out.stderr.split())
    for option in ("--no-wait", "--dry-run"):
        out = run_cli([option, "status"], git_repo)
        assert out.returncode == 2 and f"{option}: goes with --batch SWEEP_TOML only" in out.stderr
    out = run_cli(["--profile", "slurm", "status"], git_repo)
    assert out.returncode == 2 and "takes no --profile" in " ".join(out.stderr.split())
    assert "e.g. snaptui launch sweep.toml --profile slurm" in out.stderr   # the option refused, not --set

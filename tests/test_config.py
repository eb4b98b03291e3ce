"""snaptui.toml: validation messages and the precedence of every override source."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from snaptui.engine.config.settings import ProjectConfig
from snaptui.engine.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def project(tmp_path, text: str) -> ProjectConfig:
    (tmp_path / "snaptui.toml").write_text(text)
    return ProjectConfig.load(tmp_path)


def test_embedded_default_runs_locally_with_a_cap_and_a_timeout(tmp_path):
    config = ProjectConfig.load(tmp_path).resolve(environ={})
    assert config.profile_name == "local" and config.executor == "local"
    assert config.profile.max_parallel_jobs == 4 and config.profile.timeout_min == 60
    assert config.snapshot.enabled and config.snapshot.branch_prefix == "snaptui"


def test_the_projects_example_config_is_valid():
    config = ProjectConfig.load(ROOT)
    assert config.path == ROOT / "snaptui.toml"
    for name in config.profiles:
        config.resolve(profile=name, environ={})


def test_precedence_defaults_file_sweep_env_then_command_line(tmp_path):
    cfg = project(tmp_path, '[defaults]\nprofile = "a"\n[profiles.a]\nmax_parallel_jobs = 2\n'
                            '[profiles.b]\nmax_parallel_jobs = 3\ntimeout_min = 7\n')
    assert cfg.resolve(environ={}).profile_name == "a"
    assert cfg.resolve(sweep_profile="b", environ={}).profile_name == "b"
    env = {"SNAPTUI_PROFILE": "a", "SNAPTUI_MAX_PARALLEL_JOBS": "9", "SNAPTUI_TIMEOUT_MIN": "1.5"}
    from_env = cfg.resolve(sweep_profile="b", environ=env)
    assert (from_env.profile_name, from_env.profile.max_parallel_jobs, from_env.profile.timeout_min) == ("a", 9, 1.5)
    cli = cfg.resolve(profile="b", sweep_profile="a", environ=env,
                      sets=["max_parallel_jobs=5", "snapshot.enabled=false"])
    assert (cli.profile_name, cli.profile.max_parallel_jobs, cli.snapshot.enabled) == ("b", 5, False)
    assert cli.profile.timeout_min == 1.5  # the env override still applies where --set is silent


def test_a_profile_may_turn_snapshots_off_and_so_may_the_flag(tmp_path):
    cfg = project(tmp_path, "[profiles.quick]\nsnapshot = false\n")
    assert not cfg.resolve(profile="quick", environ={}).snapshot.enabled
    assert not cfg.resolve(no_snapshot=True, environ={}).snapshot.enabled


def test_effective_config_round_trips_through_toml_and_json(tmp_path):
    import json
    import tomli_w

    data = ProjectConfig.load(tmp_path).resolve(environ={}).to_dict()
    assert tomllib.loads(tomli_w.dumps(data)) == json.loads(json.dumps(data))


def error(tmp_path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        project(tmp_path, text)
    return info.value.render()


def test_file_errors_name_file_line_key_and_fix(tmp_path):
    message = error(tmp_path, '[profiles.local]\nmax_paralel_jobs = 2\ntimeout_min = "soon"\n'
                              '[profiles.gpu]\nexecutor = "slurn"\n[snapshot]\nsymlink_paths = ["../x", "/abs"]\n'
                              'branch_prefix = "bad prefix"\n')
    path = tmp_path / "snaptui.toml"
    assert f"{path}:2: profiles.local.max_paralel_jobs: unknown key" in message
    assert "did you mean 'max_parallel_jobs'?" in message
    assert f"{path}:3: profiles.local.timeout_min: must be a number, got str 'soon'" in message
    assert f"{path}:5: profiles.gpu.executor: unknown executor 'slurn'; valid executors: local, slurm" in message
    assert f"{path}:7: snapshot.symlink_paths: entry '../x' must be a relative path" in message
    assert f"{path}:8: snapshot.branch_prefix: is not a valid git branch name prefix" in message


def test_slurm_keys_are_checked_and_local_profiles_refuse_them(tmp_path):
    message = error(tmp_path, '[profiles.s]\nexecutor = "slurm"\npartiton = "gpu"\n'
                              '[profiles.l]\nexecutor = "local"\npartition = "gpu"\n')
    assert "profiles.s.partiton: unknown key" in message and "did you mean 'partition'?" in message
    assert "profiles.l.partition: unknown key" in message


def test_unknown_profile_and_bad_overrides(tmp_path):
    cfg = ProjectConfig.load(tmp_path)
    with pytest.raises(ConfigError, match="unknown profile 'loacl'") as info:
        cfg.resolve(profile="loacl", environ={})
    assert "did you mean 'local'?" in info.value.render()
    with pytest.raises(ConfigError, match=r"\$SNAPTUI_MAX_PARALLEL_JOBS: max_parallel_jobs: must be at least 1"):
        cfg.resolve(environ={"SNAPTUI_MAX_PARALLEL_JOBS": "0"})
    with pytest.raises(ConfigError, match="--set: timeout: unknown key"):
        cfg.resolve(environ={}, sets=["timeout=3"])
    with pytest.raises(ConfigError, match="must look like key=value"):
        cfg.resolve(environ={}, sets=["timeout_min"])


def recorded_sweep(config: dict):
    from snaptui.engine.models import Sweep
    return Sweep(id=1, name="s", created_at=0.0, status="active", executor="slurm", profile="slurm",
                 sweep_file=None, spec={}, config=config, snapshot=None, workdir="/", uid="abc123")


def test_the_eta_and_sbatch_take_parallelism_from_one_field(tmp_path):
    """max_parallel_jobs of the profile named slurm: sbatch got the built-in array_parallelism (256)
    while the ETA assumed 3 slots."""
    from snaptui.engine.executors.slurm.executor import submitit_parameters
    from snaptui.engine.views import slots_of

    cfg = project(tmp_path, "[profiles.slurm]\nmax_parallel_jobs = 3\n")
    recorded = cfg.resolve(profile="slurm", environ={}).to_dict()
    assert submitit_parameters(recorded_sweep(recorded))["array_parallelism"] == 3 == slots_of(recorded)
    default = ProjectConfig.load(tmp_path / "none").resolve(profile="slurm", environ={}).to_dict()
    assert submitit_parameters(recorded_sweep(default))["array_parallelism"] == 256 == slots_of(default)


def test_configs_recorded_by_an_older_snaptui_still_load():
    """The shape sweeps recorded before the typed settings (array_parallelism from the built-in profile,
    keys only where written) reads back as what it ran with; unknown keys are ignored."""
    from snaptui.engine.config.settings import EffectiveConfig
    from snaptui.engine.views import slots_of

    old = {"profile": "slurm", "limits": {"max_jobs": 10000}, "local": {},
           "results": {"pattern": "^SNAPTUI_RESULT (\\w+)=(\\S+)$"},
           "executor": {"executor": "slurm", "partition": "debug", "timeout_min": 60, "cpus_per_task": 1,
                        "mem_gb": 1, "array_parallelism": 256, "max_parallel_jobs": 2, "retired_key": 1},
           "snapshot": {"enabled": True, "branch_prefix": "snaptui", "worktree_root": "",
                        "symlink_paths": ["outputs", "multirun", ".submitit"], "push_to_remote": False,
                        "remote": "origin", "max_untracked_mb": 1, "max_total_mb": 100}}
    config = EffectiveConfig.from_dict(old)
    assert (config.executor, config.profile.partition, config.profile.mem_gb, config.profile.timeout_min) == \
        ("slurm", "debug", 1.0, 60)
    assert config.profile.parallelism() == 256 == slots_of(old)   # what sbatch was given
    assert config.snapshot.exclude == () and config.snapshot.symlink_paths == ("outputs", "multirun", ".submitit")
    steps = {**old, "executor": {**old["executor"], "max_parallel_jobs": None, "allocation": "42",
                                 "allocation_cpus": 8, "cpus_per_task": 2}}
    del steps["executor"]["max_parallel_jobs"]
    assert EffectiveConfig.from_dict(steps).executor == "allocation" and slots_of(steps) == 4


def test_the_recorded_config_reads_back_as_it_was_resolved(tmp_path):
    from snaptui.engine.config.settings import EffectiveConfig

    cfg = project(tmp_path, '[profiles.g]\nexecutor = "slurm"\nsetup = ["module load x"]\nenv = {A = "1"}\n'
                            '[local]\nmax_jobs = 3\n')
    for name in ("g", "local", "debug", "slurm"):
        config = cfg.resolve(profile=name, environ={}, sets=["snapshot.exclude=['data/']"])
        again = EffectiveConfig.from_dict(config.to_dict())
        assert (again.profile, again.snapshot, again.local, again.results, again.limits) == \
            (config.profile, config.snapshot, config.local, config.results, config.limits)


def test_a_built_in_profile_named_in_the_file_keeps_its_executor(tmp_path):
    """[profiles.slurm] without `executor` is the built-in Slurm profile, so it takes Slurm keys
    (it was checked as a local profile: 'partition: unknown key')."""
    cfg = project(tmp_path, '[profiles.slurm]\npartition = "gpu"\nmax_parallel_jobs = 8\n')
    config = cfg.resolve(profile="slurm", environ={})
    assert (config.executor, config.profile.partition, config.profile.mem_gb) == ("slurm", "gpu", 1)
    assert config.sources["partition"] == "snaptui.toml:2" and config.sources["mem_gb"] == "built-in profile slurm"

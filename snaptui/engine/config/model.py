"""Every setting of snaptui.toml, declared once: its type, default, unit and one line of help.

The tables of snaptui.toml are the Structs below; a profile is a ``Profile`` of the class its
executor registers (executors/<name>/settings.py, registered in config/executors.py). To add a
setting, add one field with ``setting(...)`` to its table's class: validation, ``--set``, the
effective config recorded with each sweep, ``snaptui config``, the README's table (``make readme``)
and the Hydra launcher's fields follow from it.
"""

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar

from msgspec import Struct

from .declare import setting


# -- checks beyond a value's type ----------------------------------------------------------------
def valid_ref_component(prefix: str) -> str | None:
    bad = (not prefix or prefix.startswith(("/", ".", "-")) or prefix.endswith(("/", ".", ".lock"))
           or ".." in prefix or "//" in prefix or "@{" in prefix
           or re.search(r"[\x00-\x20~^:?*\[\\\x7f]", prefix))
    return "is not a valid git branch name prefix (no spaces, '..', '~^:?*[\\', or leading '-')" if bad else None


def relative_inside(paths: list[str]) -> str | None:
    for entry in paths:
        p = Path(entry)
        if not entry or p.is_absolute() or ".." in p.parts or entry.startswith("~"):
            return f"entry {entry!r} must be a relative path inside the repository (no '..', not absolute)"
    return None


def exclude_patterns(patterns: list[str]) -> str | None:
    for pattern in patterns:
        if not pattern.strip("/") or pattern.startswith("!") or ".." in Path(pattern).parts:
            return (f"pattern {pattern!r} must name paths inside the repository, like \"data/\" or \"*.ckpt\" "
                    f"('!' negations are not supported)")
    return None


def result_regex(value: str) -> str | None:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression: {exc}"
    if compiled.groupindex:
        return None  # each named group is a metric: (?P<val_loss>[0-9.]+)
    return None if compiled.groups >= 2 else ("must name its metrics with named groups, e.g. 'val loss "
                                              "(?P<val_loss>[0-9.]+)', or have two groups: (name) and (value)")


def known_executor(name: str) -> str | None:
    from .executors import EXECUTORS, profile_kinds
    if name in EXECUTORS and EXECUTORS[name].settings is not None:
        return None   # known without looking for installed ones
    kinds = profile_kinds()
    return None if name in kinds else f"unknown executor {name!r}; valid executors: {', '.join(kinds)}"


# -- the tables of snaptui.toml ------------------------------------------------------------------
class Table(Struct, frozen=True, kw_only=True):
    """A table of snaptui.toml; ``ALIASES`` maps an older key to the one that replaced it."""

    ALIASES: ClassVar[dict[str, str]] = {}
    FIXED_ON_RESUBMIT: ClassVar[tuple[str, ...]] = ()   # a profile's keys a resubmission may not change


class Defaults(Table, frozen=True, kw_only=True):
    profile: Annotated[str, setting("the profile a launch uses when neither --profile, $SNAPTUI_PROFILE nor "
                                    "the sweep file names one")] = "local"


class SnapshotSettings(Table, frozen=True, kw_only=True):
    enabled: Annotated[bool, setting("snapshot the working tree for every launch (false: jobs run the files "
                                     "in place)")] = True
    branch_prefix: Annotated[str, setting("snapshot branches are named <prefix>/<date>-<id>",
                                          check=valid_ref_component)] = "snaptui"
    worktree_root: Annotated[str, setting("where snapshot worktrees go; empty: ~/.cache/snaptui/worktrees/"
                                          "<repo>-<hash> (on Slurm, a path the compute nodes see)")] = ""
    symlink_paths: Annotated[tuple[str, ...], setting(
        "paths of the snapshot linked back to the repository, so outputs land in one place",
        check=relative_inside)] = ("outputs", "multirun", ".submitit")
    push_to_remote: Annotated[bool, setting("push each snapshot branch to `remote` once its jobs are "
                                            "submitted")] = False
    remote: Annotated[str, setting("the git remote push_to_remote pushes to")] = "origin"
    max_untracked_mb: Annotated[float, setting("untracked files larger than this are linked into the snapshot, "
                                               "not committed (code is snapshotted, data is not)",
                                               unit="MB", ge=0)] = 1
    exclude: Annotated[tuple[str, ...], setting("untracked paths (.gitignore patterns) linked into the "
                                                "snapshot, not committed", check=exclude_patterns)] = ()
    max_total_mb: Annotated[float, setting("refuse a launch that would still copy more untracked data than "
                                           "this (0: no limit)", unit="MB", ge=0)] = 100


class ResultsSettings(Table, frozen=True, kw_only=True):
    pattern: Annotated[str, setting("a log line matching this regular expression records a result: "
                                    "(name) and (value)", check=result_regex)] = r"^SNAPTUI_RESULT (\w+)=(\S+)$"


class MetricsSettings(Table, frozen=True, kw_only=True):
    files: Annotated[tuple[str, ...], setting(
        "metrics files read besides the log's result lines, as globs in the job's folder ($SNAPTUI_JOB_DIR): "
        "Lightning's CSVLogger metrics.csv, JSON lines, TensorBoard event files")] = (
        "**/metrics.csv", "**/*.jsonl", "**/events.out.tfevents.*")
    hung_after_min: Annotated[float, setting("a running job whose log has been silent this long is flagged as "
                                             "possibly hung (0: never)", unit="min", ge=0)] = 30
    last_n: Annotated[int, setting("the heatmap's \"mean of the last N points\"", ge=1)] = 10
    maximize: Annotated[tuple[str, ...], setting(
        "metrics where higher is better (name globs), for \"best\"; every other metric is minimised")] = (
        "*acc*", "*f1*", "*score*", "*auc*", "*reward*", "*precision*", "*recall*", "*bleu*", "*iou*", "*map*")


class TuiSettings(Table, frozen=True, kw_only=True):
    columns: Annotated[tuple[str, ...], setting(
        "the job table's result and metric columns, in order: a result (\"loss\") or a metric summary "
        "(\"loss best\", \"acc mean10\"); empty: each result, live while its job runs (o in the TUI "
        "chooses them for the session)")] = ()


class LimitsSettings(Table, frozen=True, kw_only=True):
    max_jobs: Annotated[int, setting("a sweep with more jobs than this needs --yes", ge=1)] = 10000


class LocalHostSettings(Table, frozen=True, kw_only=True):
    """[local]: for all local sweeps of this repository together, whatever each one's max_parallel_jobs."""

    max_jobs: Annotated[int, setting("at most this many local jobs at once, all sweeps together "
                                     "(default: the CPU count)", ge=1)] | None = None
    gpus: Annotated[tuple[str, ...], setting(
        "the devices gpus_per_node hands out (default: $CUDA_VISIBLE_DEVICES at launch, else the "
        "/dev/nvidiaN devices present)")] | None = None
    preload: Annotated[tuple[str, ...], setting(
        "modules each local slot imports once; a `python script.py` or `python -m module` job then starts as a "
        "fork of the slot (warm), not a fresh interpreter (default: none, every job a fresh process)")] = ()


class Profile(Table, frozen=True, kw_only=True):
    """What every profile takes; an executor's profile class adds its own keys (executors/*/settings.py)."""

    executor: Annotated[str, setting("where the jobs run", check=known_executor)] = "local"
    timeout_min: Annotated[float, setting("a job's time limit", unit="min", env="SNAPTUI_TIMEOUT_MIN",
                                          gt=0)] = 60
    max_parallel_jobs: Annotated[int, setting("at most this many jobs of a sweep run at once",
                                              env="SNAPTUI_MAX_PARALLEL_JOBS", ge=1)] | None = None
    env: Annotated[dict[str, str], setting("environment variables set for the jobs")] = {}
    snapshot: Annotated[bool, setting("false: this profile's launches run without a snapshot")] = True
    canary_s: Annotated[float, setting("submit one job first and the others once it has run this long or "
                                       "completed; if it fails first, nothing else is submitted (0: no canary; "
                                       "--canary)", unit="s", ge=0)] = 0

    def parallelism(self) -> int | None:
        """How many jobs of a sweep may run at once (None: no limit known): what the ETA assumes and
        what the executor enforces, from this one place."""
        return self.max_parallel_jobs

    def tasks_per_job(self) -> int:
        """Tasks each job runs as (default 1)."""
        return 1

    def runs_on(self) -> str:
        """The executor that runs this profile's jobs (a Slurm profile with an allocation runs steps)."""
        return self.executor

    @classmethod
    def upgrade(cls, recorded: dict[str, Any]) -> dict[str, Any]:
        """A profile as an older snaptui recorded it, in today's keys (default: unchanged)."""
        return recorded


# Profiles snaptui ships with: only what differs from their class's defaults. A profile of the same
# name in snaptui.toml is merged over its built-in one.
BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "local": {"executor": "local"},
    "debug": {"executor": "local", "max_parallel_jobs": 1},
    "slurm": {"executor": "slurm", "partition": "debug", "cpus_per_task": 1, "mem_gb": 1},
}

# The tables of snaptui.toml besides [profiles.*] and [keymap] (a table of action = key).
SECTIONS: dict[str, type[Table]] = {
    "defaults": Defaults, "snapshot": SnapshotSettings, "results": ResultsSettings, "metrics": MetricsSettings,
    "limits": LimitsSettings, "local": LocalHostSettings, "tui": TuiSettings,
}

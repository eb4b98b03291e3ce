"""A validated sweep with its effective config, before anything is snapshotted or submitted."""
from __future__ import annotations

from dataclasses import dataclass

from snaptui.engine.config.settings import EffectiveConfig
from .spec import JobSpec, SweepSpec

class LaunchPlan:
    """A validated sweep with its effective config: what `--dry-run` prints and `launch` runs.

    Jobs are expanded only when asked for: ``job_count`` comes from the grid's shape and
    ``job(i)`` builds one job, so a dry run or a refusal of a huge grid is instant."""

    def __init__(self, spec: SweepSpec, config: EffectiveConfig, jobs: list[JobSpec] | None = None,
                 notes: list[str] | None = None) -> None:
        self.spec, self.config, self._jobs, self.notes = spec, config, jobs, list(notes or [])

    @property
    def job_count(self) -> int:
        return len(self._jobs) if self._jobs is not None else self.spec.job_count

    @property
    def jobs(self) -> list[JobSpec]:
        if self._jobs is None:
            self._jobs = self.spec.expand()
        return self._jobs

    @jobs.setter
    def jobs(self, value: list[JobSpec]) -> None:
        self._jobs = value

    def job(self, index: int) -> JobSpec:
        return self._jobs[index] if self._jobs is not None else self.spec.job_at(index)


@dataclass
class MoreJobs:
    """Jobs to append to a sweep given job by job, and its spec once they are in it."""
    sweep_id: int
    spec: SweepSpec
    jobs: list[JobSpec]

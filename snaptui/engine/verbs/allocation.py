"""Allocation verbs: get and release a Slurm allocation that sweeps then run in as job steps."""
from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING, Callable, Mapping

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config.settings import ProjectConfig
    from ..models import Job, Sweep


class AllocationVerbs:
    if TYPE_CHECKING:   # api.Engine's
        @property
        def project(self) -> ProjectConfig: ...
        def sweeps(self) -> list[Sweep]: ...
        def jobs(self, sweep_id: int) -> list[Job]: ...

    def allocate(self, profile_name: str, *, tasks: int | None = None, time_min: float | None = None,
                 on_line: Callable[[str], None] = lambda line: None,
                 environ: Mapping[str, str] | None = None) -> str:
        """salloc with the Slurm profile's resources, holding `tasks` jobs at once; the allocation's id."""
        from snaptui.engine.executors.slurm import allocation
        from snaptui.engine.executors.slurm.settings import SlurmProfile

        profile = self.project.resolve(profile=profile_name).profile
        if not isinstance(profile, SlurmProfile):
            raise ConfigError.single(self.project.path, f"profiles.{profile_name}.executor",
                                     f"is {profile.executor!r}: an allocation needs a Slurm profile")
        tasks = tasks or profile.max_parallel_jobs or 1
        if tasks < 1:
            raise ConfigError.single(None, "--tasks", "must be at least 1")
        time_min = time_min or profile.timeout_min
        return allocation.get(profile, tasks, time_min, f"snaptui-alloc-{profile_name}", on_line,
                              os.environ if environ is None else environ)

    def jobs_in_allocation(self, job_id: str) -> list[Job]:
        """The unfinished jobs of this project's sweeps that run (or wait to run) as steps of the allocation."""
        from snaptui.engine.config.settings import stored_config

        found: list[Job] = []
        for sweep in self.sweeps():
            if sweep.executor != "allocation" or not sweep.is_active:
                continue
            if str(getattr(stored_config(sweep.config).profile, "allocation", "")) == str(job_id):
                found += [job for job in self.jobs(sweep.id) if not job.state.is_final]
        return found

    @staticmethod
    def release_allocation(job_id: str) -> None:
        """scancel an allocation of this user's; ConfigError when it is gone or someone else's."""
        from snaptui.engine.executors.slurm import allocation
        allocation.release(job_id, getpass.getuser())

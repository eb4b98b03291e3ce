"""The keys of a local profile (``executor = "local"``): jobs as processes on this machine."""
from typing import Annotated, ClassVar

from snaptui.engine.config.declare import setting
from snaptui.engine.config.model import Profile


class LocalProfile(Profile, frozen=True, kw_only=True):
    FIXED_ON_RESUBMIT: ClassVar[tuple[str, ...]] = ("gpus_per_node",)   # handed out per sweep (local/slots.py)
    max_parallel_jobs: Annotated[int, setting("at most this many jobs of a sweep run at once on this machine",
                                              env="SNAPTUI_MAX_PARALLEL_JOBS", ge=1)] | None = 4
    gpus_per_node: Annotated[int, setting("GPUs each job gets, from [local] gpus, bound with "
                                          "CUDA_VISIBLE_DEVICES", ge=0)] = 0

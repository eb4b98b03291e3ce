"""The keys of a Slurm profile (``executor = "slurm"``): a sweep is a job array, or with ``allocation``,
job steps inside an allocation. Keys named as submitit's SlurmExecutor names them pass to it as they are
(``PASSTHROUGH``)."""
from typing import Annotated, Any, ClassVar

from snaptui.engine.config.declare import setting
from snaptui.engine.config.model import Profile

ARRAY_PARALLELISM = 256   # array tasks at once when the profile sets no max_parallel_jobs (as Hydra's submitit)


def single_line(value: Any) -> str | None:
    """Slurm values end up in #SBATCH lines: a newline would start a line of its own."""
    values = list(value.values()) if isinstance(value, dict) else value if isinstance(value, (list, tuple)) \
        else [value]
    if any(isinstance(v, str) and any(c in v for c in "\n\r\x00") for v in values):
        return "must not contain line breaks"
    return None


def allocation_ref(value: Any) -> str | None:
    ok = str(value) == "current" or str(value).isdigit()
    return None if ok else 'must be an allocation id (a number) or "current"'


def _sbatch(help: str, **more: Any) -> Any:
    return setting(help, check=single_line, **more)


class SlurmProfile(Profile, frozen=True, kw_only=True):
    ALIASES: ClassVar[dict[str, str]] = {"array_parallelism": "max_parallel_jobs"}  # Hydra submitit's name
    PASSTHROUGH: ClassVar[tuple[str, ...]] = (
        "partition", "qos", "account", "gres", "gpus_per_node", "gpus_per_task", "cpus_per_task", "cpus_per_gpu",
        "mem_per_cpu", "mem_per_gpu", "nodes", "nodelist", "exclude", "constraint", "comment", "signal_delay_s",
        "setup", "srun_args")

    max_parallel_jobs: Annotated[int, setting(
        f"at most this many jobs of a sweep run at once (the array's %N; also array_parallelism) (default: "
        f"{ARRAY_PARALLELISM}, in an allocation what its CPUs hold)", env="SNAPTUI_MAX_PARALLEL_JOBS", ge=1)] \
        | None = None
    env: Annotated[dict[str, str], _sbatch("environment variables set for the jobs")] = {}
    partition: Annotated[str, _sbatch("the partition (--partition; default: the cluster's)")] | None = None
    qos: Annotated[str, _sbatch("the quality of service (--qos)")] | None = None
    account: Annotated[str, _sbatch("the account charged (--account)")] | None = None
    gres: Annotated[str, _sbatch("generic resources per node (--gres), e.g. gpu:2")] | None = None
    gpus_per_node: Annotated[int, _sbatch("GPUs per node (--gpus-per-node)", ge=0)] | None = None
    gpus_per_task: Annotated[int, _sbatch("GPUs per task (--gpus-per-task)", ge=0)] | None = None
    cpus_per_task: Annotated[int, _sbatch("CPUs per task (--cpus-per-task)", ge=1)] | None = None
    cpus_per_gpu: Annotated[int, _sbatch("CPUs per GPU (--cpus-per-gpu)", ge=1)] | None = None
    mem_gb: Annotated[float, _sbatch("memory per node (--mem)", unit="GB", gt=0)] | None = None
    mem_per_cpu: Annotated[str, _sbatch("memory per CPU (--mem-per-cpu), e.g. 2G")] | None = None
    mem_per_gpu: Annotated[str, _sbatch("memory per GPU (--mem-per-gpu), e.g. 8G")] | None = None
    nodes: Annotated[int, _sbatch("nodes per job (--nodes)", ge=1)] | None = None
    tasks_per_node: Annotated[int, _sbatch("tasks per node (--ntasks-per-node)", ge=1)] | None = None
    nodelist: Annotated[str, _sbatch("only these nodes (--nodelist)")] | None = None
    exclude: Annotated[str, _sbatch("never these nodes (--exclude)")] | None = None
    constraint: Annotated[str, _sbatch("node features required (--constraint)")] | None = None
    job_name: Annotated[str, _sbatch("the job name (default: snaptui-<sweep>-<launch id>)")] | None = None
    comment: Annotated[str, _sbatch("a comment on the jobs (--comment)")] | None = None
    signal_delay_s: Annotated[int, _sbatch("warn a job this long before its time limit (default: a quarter "
                                           "of the limit, between 10 s and 90 s)", unit="s", ge=0)] | None = None
    max_num_timeout: Annotated[int, setting("requeue a job that reached its time limit this many times "
                                            "(it must checkpoint)", ge=0)] = 0
    max_array_size: Annotated[int, setting("split a sweep into arrays of at most this many tasks (default: "
                                           "the cluster's MaxArraySize)", ge=1)] | None = None
    jobs_per_task: Annotated[int, setting("run this many jobs one after another in each array task (for "
                                          "jobs of seconds)", ge=1)] = 1
    poll_interval_s: Annotated[float, setting("how often sacct is asked for the jobs' states", unit="s",
                                              gt=0)] = 10
    allocation: Annotated[int | str, setting('run the jobs as steps of this allocation: its id, or "current" '
                                             '(the one this shell is in)', check=allocation_ref)] | None = None
    additional_parameters: Annotated[dict[str, Any], _sbatch("more sbatch options, as submitit takes "
                                                             "them")] = {}
    setup: Annotated[tuple[str, ...], _sbatch("shell lines run before each job (module load ...)")] = ()
    srun_args: Annotated[tuple[str, ...], _sbatch("more arguments for srun")] = ()
    allocation_cpus: Annotated[int, setting("the allocation's CPUs, read at launch", internal=True)] | None = None
    allocation_mem_mb: Annotated[int, setting("the allocation's memory, read at launch", unit="MB",
                                              internal=True)] | None = None

    def parallelism(self) -> int:
        if self.max_parallel_jobs:
            return self.max_parallel_jobs
        if self.allocation is not None:
            return max(1, (self.allocation_cpus or 1) // (self.cpus_per_task or 1))
        return ARRAY_PARALLELISM

    def tasks_per_job(self) -> int:
        """tasks_per_node x nodes, as srun starts them."""
        return (self.tasks_per_node or 1) * (self.nodes or 1)

    def runs_on(self) -> str:
        return "allocation" if self.allocation is not None else "slurm"

    @classmethod
    def upgrade(cls, recorded: dict[str, Any]) -> dict[str, Any]:
        """Before one parallelism field, sbatch took array_parallelism over max_parallel_jobs (and the
        built-in profile set it to 256), while steps in an allocation ignored it."""
        recorded = dict(recorded)
        old = recorded.pop("array_parallelism", None)
        if old is not None and recorded.get("allocation") is None:
            recorded["max_parallel_jobs"] = old
        return recorded

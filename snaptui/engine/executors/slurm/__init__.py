"""The Slurm executors: job arrays through submitit's SlurmExecutor (split at MaxArraySize, throttled,
packed), states from sacct, limits from sacctmgr, recovery from accounting; and job steps inside an
allocation."""

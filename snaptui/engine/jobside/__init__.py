"""What runs inside a job, on the node: the runner that starts the user's command, watches, times and
reports it, the job's environment, its manifest and results, and the entry points a Slurm task, an
allocation step, a packed task or a local slot worker starts."""

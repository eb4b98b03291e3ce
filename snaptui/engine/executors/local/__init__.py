"""The local executor: jobs as processes on this machine, behind a queue with a per-sweep and a
per-machine cap, run by slot workers."""

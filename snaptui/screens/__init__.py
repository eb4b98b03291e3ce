"""One screen per module: sweeps (home), sweep, job, snapshots, launch, help, confirm."""

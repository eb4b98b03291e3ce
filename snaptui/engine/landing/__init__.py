"""What a job writes reaches the repository: at the end of every job (and before gc removes a worktree)
the files jobs created or changed in the snapshot's worktree are put at the same path in the repository,
hard-linked where both are on one filesystem, copied where not, with a ledger of what was put there so
jobs of one sweep replace each other's files (the last writer wins) while a file someone else changed
is never replaced: the job's copy goes beside it under a name that says so. Used by the job's runner
(jobside) and by gc and rollbacks (snapshot), hence a layer below both."""

"""The state of a project's sweeps: one SQLite database under ``.snaptui/`` (sweeps, jobs, attempts and
events), its schema and migrations, and the read-only look into other worktrees' stores."""

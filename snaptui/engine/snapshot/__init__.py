"""Snapshots of the working tree: the commit built on a temporary index, its branch and worktree, what is
linked instead of committed, what jobs wrote there going back to the repository, and gc."""

"""Hashing untracked files into the snapshot's index in chunks, so a launch with much data to
hash can report progress (and a fault test can stop it between chunks)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from snaptui.engine import faults
from snaptui.engine.gitrepo import run

if TYPE_CHECKING:
    import git

HASH_CHUNK_BYTES = 64 * 1024 * 1024


def add_paths(g: git.Git, tmpdir: Path, paths: list[str], sizes: dict[str, int], env: dict[str, Any],
              progress: Callable[[int, int], None] | None = None) -> None:
    """update-index in chunks, so hashing much data reports progress (bytes done, bytes in all)."""
    total, done, chunk, chunk_bytes = sum(sizes.get(p, 0) for p in paths), 0, [], 0
    listing = tmpdir / "untracked"
    if progress is not None:
        progress(0, total)
    for i, rel in enumerate(paths):
        chunk.append(os.fsencode(rel))
        chunk_bytes += sizes.get(rel, 0)
        if chunk_bytes < HASH_CHUNK_BYTES and len(chunk) < 5000 and i < len(paths) - 1:
            continue
        listing.write_bytes(b"\0".join(chunk) + b"\0")
        with open(listing, "rb") as fh:
            run(g, "update-index", "--add", "--replace", "-z", "--stdin", env=env, istream=fh)
        done += chunk_bytes
        chunk, chunk_bytes = [], 0
        faults.point("snapshot:hashing")
        if progress is not None:
            progress(done, total)

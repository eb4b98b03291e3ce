"""Files written whole or not at all: readers (the agent, the TUI, a waiting launcher) never see half."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replacing(target: str | Path) -> Iterator[Path]:
    """A private temp file beside `target` for the caller to write; renamed over `target` when the
    block ends, removed if it raises."""
    target = Path(target)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(temp)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: bytes) -> None:
    with replacing(path) as temp:
        temp.write_bytes(data)

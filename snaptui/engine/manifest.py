"""The per-attempt manifest: a JSON file next to the job's logs, written by the job itself.

It is both the record a user reads later (`snaptui show`) and how a job reports its
process ids, exit code and results to the engine without touching the store (jobs on
compute nodes must not write to SQLite on a shared filesystem).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

MANIFEST_NAME = "snaptui_manifest.json"
RESULT_NAME = "snaptui_result.json"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Readers never see a half-written file: write a temp file, then rename over."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True, default=str)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_manifest(log_dir: str | Path | None) -> dict[str, Any] | None:
    if not log_dir:
        return None
    try:
        return json.loads((Path(log_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

"""The per-attempt manifest: a JSON file next to the job's logs, written by the job itself.

It is both the record a user reads later (`snaptui show`) and how a job reports its
process ids, exit code and results to the engine without touching the store (jobs on
compute nodes must not write to SQLite on a shared filesystem).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snaptui.engine.atomic import write_atomic

MANIFEST_NAME = "snaptui_manifest.json"
RESULT_NAME = "snaptui_result.json"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Readers never see a half-written file."""
    write_atomic(path, (json.dumps(data, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8"))


def read_manifest(log_dir: str | Path | None) -> dict[str, Any] | None:
    if not log_dir:
        return None
    try:
        found = json.loads((Path(log_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None

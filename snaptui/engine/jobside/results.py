"""Results a job reports: a flat JSON object in $SNAPTUI_RESULT_FILE, or matching log lines."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

MAX_SCANNED_LINE = 64 * 1024


def coerce(text: str) -> Any:
    """Numbers stay numbers so results can be compared and coloured."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


MULTI_PREFIX = "SNAPTUI_RESULT "
_PAIR = re.compile(r"([\w.\-/]+)=([^\s=]+)")


def pattern_results(match: re.Match[str]) -> list[tuple[str, Any]]:
    """(name, text) pairs of a results.pattern match: one per named group that matched (a group named
    `step` is the step, not a result), or group 1's name with group 2's value."""
    if match.re.groupindex:
        return [(name, text) for name, text in match.groupdict().items() if text is not None and name != "step"]
    return [(match.group(1), match.group(2))] if match.lastindex and match.lastindex >= 2 else []


def scan_log(path: Path, pattern: str) -> dict[str, Any]:
    """Last value of each name printed as a result line; streams, so huge logs cost no memory.

    `pattern` is searched in each line (anchor it with `^` to match at the start only). Besides it,
    `SNAPTUI_RESULT step=3 loss=0.5 acc=0.9` lines (several pairs, an optional step: the form metric
    series use) count too; their step is not a result.
    """
    regex = re.compile(pattern)
    found: dict[str, Any] = {}
    try:
        with open(path, "rb") as handle:
            for raw in handle:
                if len(raw) > MAX_SCANNED_LINE:
                    continue
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                pairs = [pair for match in regex.finditer(line) for pair in pattern_results(match)]
                if pairs:
                    found.update((name, coerce(text)) for name, text in pairs)
                elif line.startswith(MULTI_PREFIX):
                    pairs = _PAIR.findall(line[len(MULTI_PREFIX):])
                    found.update((k, coerce(v)) for k, v in pairs if k != "step")
    except OSError:
        pass
    return found


def read_result_file(path: Path) -> tuple[dict[str, Any], str | None]:
    """The result file's flat object, or ({}, reason) when it is missing or malformed."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as exc:
        return {}, f"{path.name} is not valid JSON: {exc}"
    if not isinstance(data, dict):
        return {}, f"{path.name} must hold a JSON object"
    flat = {k: v for k, v in data.items() if isinstance(v, (int, float, str, bool)) or v is None}
    return flat, None if len(flat) == len(data) else f"{path.name}: nested values were ignored"


ERROR_TAIL_BYTES = 16 * 1024
MAX_ERROR_LINE = 300
_NOT_THE_ERROR = ("snaptui:", "submitit ", "srun: ", "slurmstepd: ")


def last_error_line(path: Path) -> str | None:
    """The last line of a failed job's stderr that says what went wrong (a traceback's last line,
    'Error: ...'), skipping snaptui's, submitit's and Slurm's own lines; None when there is none."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - ERROR_TAIL_BYTES))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    for raw in reversed(tail.splitlines()):
        line = raw.rsplit("\r", 1)[-1].strip()   # a progress bar's last redraw
        if line and not line.startswith(_NOT_THE_ERROR):
            return line[:MAX_ERROR_LINE]
    return None

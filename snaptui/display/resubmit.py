"""What the resubmit dialog (`R`) offers, worked out without widgets: the chosen jobs grouped by why they
ended, which groups are ticked at first (those a new attempt can fix by itself: a time limit, memory, the
node or the queue; not an exit code, which the same code gives again), and the resource fields with their
current values and the suggestion for each (twice the time for a TIMEOUT, the memory peak + 25%)."""
from __future__ import annotations

from dataclasses import dataclass

from snaptui.engine.states import Cause

FIELDS = (("timeout_min", "min"), ("mem_gb", "GB"), ("cpus_per_task", ""), ("gpus_per_node", ""))
NOT_BY_ITSELF = (Cause.EXIT.value, Cause.COMPLETED.value, Cause.NOT_STARTED.value)


@dataclass(frozen=True)
class CauseGroup:
    label: str          # 'TIMEOUT', 'exit 1', 'cancelled by scancel'
    jobs: list
    ticked: bool

    def describe(self, limit: int = 4) -> str:
        names = ", ".join(f"{job.ref} {job.label}" for job in self.jobs[:limit])
        more = f", … {len(self.jobs) - limit} more" if len(self.jobs) > limit else ""
        return f"{len(self.jobs)} {self.label}: {names}{more}"


@dataclass(frozen=True)
class ResourceField:
    key: str
    unit: str
    current: object       # what the jobs ran with (None: not set)
    suggested: object     # what the dialog fills in (the current value when nothing is suggested)


def cause_groups(jobs: list) -> list[CauseGroup]:
    groups: dict[str, list] = {}
    causes: dict[str, str | None] = {}
    for job in jobs:
        label = job.attempt.cause_label or job.state.value
        groups.setdefault(label, []).append(job)
        causes[label] = job.attempt.cause
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [CauseGroup(label, members, causes[label] not in NOT_BY_ITSELF) for label, members in ordered]


def resource_fields(current: dict, suggested: dict) -> list[ResourceField]:
    """The fields the sweep's profile has (a local profile has no mem_gb), the suggested ones first."""
    fields = [ResourceField(key, unit, current.get(key), suggested.get(key, current.get(key)))
              for key, unit in FIELDS if key in current]
    return sorted(fields, key=lambda f: f.key not in suggested)


def changes(fields: list[ResourceField], typed: dict[str, str]) -> list[str]:
    """`key=value` for each field whose typed value differs from what the jobs ran with."""
    sets = []
    for field in fields:
        text = typed.get(field.key, "").strip()
        if text and text != _plain(field.current):
            sets.append(f"{field.key}={text}")
    return sets


def _plain(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def field_text(value) -> str:
    return _plain(value)

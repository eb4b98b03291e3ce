"""Where each job of a sweep sits in the grid: the parameter axes, and each job's coordinates, from the
sweep's spec (known before any job is read) or from the jobs' own parameters (needs every job)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from snaptui.engine.models import format_value
from snaptui.format import safe


@dataclass
class Axis:
    keys: tuple[str, ...]          # one grid parameter, or the parameters of one zip group
    values: list[tuple]            # distinct value tuples, in expansion order
    _labels: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return "+".join(self.keys)

    def label(self, position: int) -> str:
        found = self._labels.get(position)
        if found is None:   # every frame draws each visible row's label
            found = self._labels[position] = safe(",".join(format_value(v) for v in self.values[position]))
        return found


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


class SpecCoords:
    """Coordinates computed from a job's index, in the spec's expansion order (the last factor varies
    fastest): nothing is stored per job, so a 100,000-job sweep's grid is known before any job is read."""

    def __init__(self, sizes: list[int], kept: list[int]) -> None:
        self.sizes, self.kept = sizes, kept
        self.strides = [math.prod(sizes[n + 1:]) for n in range(len(sizes))]
        self.total = math.prod(sizes)

    def coord(self, index: int) -> tuple[int, ...] | None:
        if not 0 <= index < self.total:
            return None
        rest, full = index, [0] * len(self.sizes)
        for n in range(len(self.sizes) - 1, -1, -1):
            rest, full[n] = divmod(rest, self.sizes[n])
        return tuple(full[n] for n in self.kept)

    def index(self, coord: tuple[int, ...]) -> int | None:
        return sum(position * self.strides[n] for position, n in zip(coord, self.kept))


class JobCoords:
    """Coordinates found in the jobs' own parameters (a sweep without a grid spec)."""

    def __init__(self, coords: dict[int, tuple[int, ...]]) -> None:
        self.coords = coords
        self.by_coords: dict[tuple[int, ...], int] = {}
        for index, coord in coords.items():
            self.by_coords.setdefault(coord, index)

    def coord(self, index: int) -> tuple[int, ...] | None:
        return self.coords.get(index)

    def index(self, coord: tuple[int, ...]) -> int | None:
        return self.by_coords.get(coord)


def spec_axes(spec: dict | None, total: int) -> tuple[list[Axis], SpecCoords] | None:
    """Axes and the jobs' coordinates from the sweep spec's expansion order (exact, even with
    repeated values): grid keys in file order with the last varying fastest, then each zip group.
    None when the spec does not describe `total` jobs."""
    spec = spec or {}
    factors: list[tuple[tuple[str, ...], list[tuple]]] = []
    for key, values in (spec.get("grid") or {}).items():
        if not isinstance(values, list) or not values:
            return None
        factors.append(((key,), [(_hashable(v),) for v in values]))
    for group in spec.get("zip") or []:
        if not isinstance(group, dict) or not group:
            return None
        keys = tuple(group)
        factors.append((keys, [tuple(_hashable(v) for v in combo) for combo in zip(*group.values())]))
    if not factors or math.prod(len(values) for _, values in factors) != total:
        return None
    sizes = [len(values) for _, values in factors]
    kept = [n for n, size in enumerate(sizes) if size > 1]
    return [Axis(*factors[n]) for n in kept], SpecCoords(sizes, kept)


def axes_for(jobs: list) -> tuple[list[Axis], JobCoords]:
    """Axes from the jobs themselves: every parameter whose value differs between jobs."""
    axes: list[Axis] = []
    if jobs:
        first = jobs[0].params
        keys = list(first) + [k for job in jobs[:1000] for k in job.params if k not in first]
        for key in dict.fromkeys(keys):
            seen = dict.fromkeys(_hashable(job.params.get(key)) for job in jobs)
            if len(seen) > 1:
                axes.append(Axis((key,), [(v,) for v in seen]))
    positions = [{value: i for i, value in enumerate(axis.values)} for axis in axes]
    coords = {job.index: tuple(pos[tuple(_hashable(job.params.get(k)) for k in axis.keys)]
                               for axis, pos in zip(axes, positions)) for job in jobs}
    return axes, JobCoords(coords)

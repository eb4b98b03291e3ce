"""Sweep files: a command and a parameter space, expanded into numbered jobs.

Expansion order is fixed (grid keys in file order, the last varying fastest, then
each zip group), so a job's index and label never change for a given file.
"""
from __future__ import annotations

import itertools
import math
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snaptui.engine.errors import ConfigError, ConfigProblem
from snaptui.engine.models import format_value
from snaptui.engine.config.schema import Field, check_table
from .passable import check_passable
from snaptui.engine.config.tomlsource import TomlSource, load_toml, parse_toml_text

OVERRIDE_STYLES = ("hydra", "argparse", "equals", "placeholder")
Scalar = str | int | float | bool

SWEEP_FIELDS = {
    "name": Field(str, lambda v: None if re.fullmatch(r"[\w.\-]+", v) else
                  "may hold only letters, digits, '_', '-' and '.'"),
    "command": Field(list, lambda v: None if v else "must not be empty", items=str),
    "profile": Field(str),
    "override_style": Field(str, lambda v: None if v in OVERRIDE_STYLES else
                            f"must be one of {', '.join(OVERRIDE_STYLES)}"),
    "workdir": Field(str),
    "description": Field(str),
    "params": Field(dict),
    "grid": Field(dict),
    "zip": Field(list),
    "env": Field(dict, items=str),
    "hydra": Field(bool),
}


@dataclass(frozen=True)
class JobSpec:
    index: int
    params: dict[str, Scalar]       # every parameter: fixed and varying
    varying: dict[str, Scalar]      # only the swept ones, in axis order
    argv: list[str]

    @property
    def label(self) -> str:
        return ",".join(f"{k}={format_value(v)}" for k, v in self.varying.items()) or "default"


@dataclass
class SweepSpec:
    name: str
    command: list[str]
    override_style: str = "hydra"
    profile: str | None = None
    workdir: str | None = None  # relative to the repository root; None: the sweep file's folder
    params: dict[str, Scalar] = field(default_factory=dict)
    grid: dict[str, list[Scalar]] = field(default_factory=dict)
    zips: list[dict[str, list[Scalar]]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    explicit: list[list[str]] | None = None  # jobs given one by one as key=value overrides (Hydra's launcher)
    hydra: bool | None = None  # the command is a Hydra app (None: read from its script; see hydra_app.py)
    run_dir: str | None = None  # each job's hydra.run.dir, with {sweep_id} and {index} (hydra_app.py)

    @property
    def axes(self) -> dict[str, list[Scalar]]:
        """Every varying parameter with its values, in expansion order."""
        if self.explicit is not None:
            seen: dict[str, list[Scalar]] = {}
            for overrides in self.explicit:
                for key, value in _split_overrides(overrides).items():
                    seen.setdefault(key, [])
                    if value not in seen[key]:
                        seen[key].append(value)
            return {k: v for k, v in seen.items() if len(v) > 1}
        out = dict(self.grid)
        for group in self.zips:
            out.update(group)
        return out

    @property
    def job_count(self) -> int:
        if self.explicit is not None:
            return len(self.explicit)
        count = math.prod(len(v) for v in self.grid.values())
        for group in self.zips:
            count *= len(next(iter(group.values())))
        return count

    def job_at(self, index: int) -> JobSpec:
        """Job ``index`` as expand() would number it, without expanding the others (for big dry runs)."""
        if self.explicit is not None:
            return self._expand_explicit()[index]
        radices = [math.prod(len(v) for v in self.grid.values())] + [len(next(iter(g.values()))) for g in self.zips]
        digits = _mixed_radix(index, radices)
        varying: dict[str, Scalar] = {}
        grid_digits = _mixed_radix(digits[0], [len(v) for v in self.grid.values()])
        for (key, values), d in zip(self.grid.items(), grid_digits):
            varying[key] = values[d]
        for group, d in zip(self.zips, digits[1:]):
            varying.update({key: values[d] for key, values in group.items()})
        params = {**self.params, **varying}
        return JobSpec(index, params, varying, self._argv(index, params))

    def expand(self) -> list[JobSpec]:
        if self.explicit is not None:
            return self._expand_explicit()
        grid_keys = list(self.grid)
        factors: list[list[dict[str, Scalar]]] = [
            [dict(zip(grid_keys, combo)) for combo in itertools.product(*self.grid.values())]
        ]
        for group in self.zips:
            keys = list(group)
            factors.append([dict(zip(keys, combo)) for combo in zip(*group.values())])
        jobs = []
        for index, parts in enumerate(itertools.product(*factors)):
            varying: dict[str, Scalar] = {}
            for part in parts:
                varying.update(part)
            params = {**self.params, **varying}
            jobs.append(JobSpec(index, params, varying, self._argv(index, params)))
        return jobs

    def _argv(self, index: int, params: dict[str, Scalar]) -> list[str]:
        argv = build_argv(self.command, params, self.override_style)
        if self.run_dir:  # the sweep id stays a placeholder until the sweep is recorded (job_argv)
            argv.append(f"hydra.run.dir={self.run_dir.format(sweep_id='{sweep_id}', index=index)}")
        return argv

    def _expand_explicit(self) -> list[JobSpec]:
        axes = self.axes
        jobs = []
        for index, overrides in enumerate(self.explicit or []):
            params: dict[str, Scalar] = dict(_split_overrides(overrides))
            varying = {k: params[k] for k in axes if k in params}
            jobs.append(JobSpec(index, params, varying, list(self.command) + list(overrides)))
        return jobs

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "command": self.command, "override_style": self.override_style,
                "profile": self.profile, "workdir": self.workdir, "params": self.params,
                "grid": self.axes if self.explicit is not None else self.grid,
                "zip": self.zips, "env": self.env, "jobs": self.explicit,
                "path": str(self.path) if self.path else None, "hydra": self.hydra, "run_dir": self.run_dir}


def job_argv(argv: list[str], sweep_id: int, spec: dict[str, Any]) -> list[str]:
    """A planned job's argv as recorded in sweep ``sweep_id``: its run dir (if any) named after the sweep."""
    if not spec.get("run_dir") or not argv:
        return argv
    return [*argv[:-1], argv[-1].replace("{sweep_id}", str(sweep_id))]


def run_dir_of(spec: dict[str, Any], sweep_id: int, index: int) -> str | None:
    """The run dir a sweep gave job ``index`` (relative to the job's working folder), or None."""
    return spec["run_dir"].format(sweep_id=sweep_id, index=index) if spec.get("run_dir") else None


def _mixed_radix(index: int, radices: list[int]) -> list[int]:
    """Digits of ``index`` with the last position varying fastest (itertools.product's order)."""
    digits = []
    for radix in reversed(radices):
        index, digit = divmod(index, radix)
        digits.append(digit)
    return digits[::-1]


def _split_overrides(overrides: list[str]) -> dict[str, str]:
    """`key=value` overrides as a dict; Hydra's `+key=`/`~key` prefixes stay part of the key."""
    out = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        out[key] = value if sep else ""
    return out


def build_argv(command: list[str], params: dict[str, Scalar], style: str) -> list[str]:
    """The command line of one job. Values are written as the style's apps parse them; booleans differ:
    hydra `key=true` (OmegaConf), argparse `--key` for true and nothing for false (`store_true` flags),
    equals `--key=True` (nanoGPT's configurator and fire evaluate Python literals; absl accepts it too),
    placeholder `true`. A string value is passed as written: `"False"` in the sweep file stays `False`."""
    if style == "placeholder":
        values = {k: format_value(v) for k, v in params.items()}
        return [part.format_map(values) for part in command]
    argv = list(command)
    for key, value in params.items():
        if style == "hydra":
            argv.append(f"{key}={format_value(value)}")
        elif style == "equals":
            argv.append(f"--{key}={value!r}" if isinstance(value, bool) else f"--{key}={value}")
        elif isinstance(value, bool):
            argv += [f"--{key}"] if value else []
        else:
            argv += [f"--{key}", format_value(value)]
    return argv


_RANGE = re.compile(r"^\s*range\((.*)\)\s*$")
_CHOICE = re.compile(r"^\s*choice\((.*)\)\s*$")


def _parse_sweep_token(token: str) -> Scalar:
    token = token.strip()
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    for cast in (int, float):
        try:
            return cast(token)
        except ValueError:
            pass
    if token in ("true", "false"):
        return token == "true"
    return token


def parse_sweep_string(text: str) -> list[Scalar]:
    """Hydra's sweep syntax for a grid value: `a,b,c`, `range(start, stop[, step])`, `choice(a, b)`."""
    found = _RANGE.match(text)
    if found:
        tokens = [_parse_sweep_token(a) for a in found.group(1).split(",")]
        args = [a for a in tokens if isinstance(a, (int, float)) and not isinstance(a, bool)]
        if not 1 <= len(tokens) <= 3 or len(args) != len(tokens):
            raise ValueError(f"range() takes 1 to 3 numbers, got {text!r}")
        start, stop, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) == 3 else 1)
        if step == 0:
            raise ValueError("range() step must not be 0")
        if not all(math.isfinite(a) for a in (start, stop, step)):
            raise ValueError(f"range() takes finite numbers, got {text!r}")
        count = len(range(start, stop, step)) \
            if isinstance(start, int) and isinstance(stop, int) and isinstance(step, int) \
            else max(0, math.ceil((stop - start) / step))
        if count > MAX_AXIS_VALUES:
            raise ValueError(f"{text.strip()} has {count:,} values, more than {MAX_AXIS_VALUES:,} for one parameter")
        if isinstance(start, int) and isinstance(stop, int) and isinstance(step, int):
            return list(range(start, stop, step))
        return [round(start + i * step, 12) for i in range(count)]
    found = _CHOICE.match(text)
    inner = found.group(1) if found else text
    return [_parse_sweep_token(t) for t in inner.split(",")]


def _dotted_keys(key: str, table: dict[str, Any]) -> list[str]:
    """`model.optimizer.lr = [...]` unquoted is, to TOML, table model > optimizer > lr: its dotted names."""
    out: list[str] = []
    for name, value in table.items():
        out += _dotted_keys(f"{key}.{name}", value) if isinstance(value, dict) else [f"{key}.{name}"]
    return out


def _table_problem(source: TomlSource, path: list[Any], raw: dict[str, Any]) -> ConfigProblem:
    names = _dotted_keys(str(path[-1]), raw)
    quoted = ", ".join(f'"{n}"' for n in names[:4]) + (" ..." if len(names) > 4 else "")
    line = source.line(*path[:-1], *names[0].split(".")) if names else source.line(*path)
    return ConfigProblem(".".join(str(p) for p in path), "is a table: TOML reads a dotted key without quotes as "
                         "nested tables", line, f"quote it: {quoted}" if len(names) == 1 else f"quote them: {quoted}")


def _values(source: TomlSource, path: list[Any], raw: Any, problems: list[ConfigProblem]) -> list[Scalar] | None:
    if isinstance(raw, dict):
        problems.append(_table_problem(source, path, raw))
        return None
    if isinstance(raw, str):
        try:
            values = parse_sweep_string(raw)
        except ValueError as exc:
            problems.append(source.problem(path, str(exc)))
            return None
    elif isinstance(raw, list):
        values = raw
    else:
        problems.append(source.problem(
            path, f"must be a list of values or a sweep string like \"1,2,3\" or \"range(5)\", got {raw!r}"))
        return None
    if not values:
        problems.append(source.problem(path, "is empty: a sweep axis needs at least one value"))
        return None
    bad = [v for v in values if not isinstance(v, (str, int, float, bool))]
    if bad:
        problems.append(source.problem(path, f"values must be strings, numbers or booleans, got {bad[0]!r}"))
        return None
    return list(values)


MAX_AXIS_VALUES = 1_000_000


def bad_parameter_name(name: str) -> str | None:
    """A name becomes `name=value` or `--name value` on a command line: it must read as one."""
    if not name.strip():
        return "a parameter name must not be empty"
    if "=" in name:
        return f"parameter name {name!r} must not contain '='"
    if name.startswith("-"):
        return f"parameter name {name!r} must not start with '-' (snaptui adds the dashes for argparse style)"
    if not name.isprintable() or name != name.strip():
        return f"parameter name {name!r} must be printable, without leading or trailing spaces"
    return None


def _check_names(source: TomlSource, data: dict[str, Any], problems: list[ConfigProblem]) -> None:
    tables: list[tuple[list[str | int], Any]] = [(["params"], data.get("params")), (["grid"], data.get("grid"))]
    tables += [(["zip", i], g) for i, g in enumerate(data.get("zip") or []) if isinstance(data.get("zip"), list)]
    for path, table in tables:
        for key in (table if isinstance(table, dict) else {}):
            message = bad_parameter_name(key)
            if message:
                problems.append(source.problem(path + [key], message))


def parse_sweep(source: TomlSource) -> SweepSpec:
    """Validate a parsed sweep file; all problems are reported together."""
    data = source.data
    problems: list[ConfigProblem] = []
    check_table(source, [], data, SWEEP_FIELDS, problems)
    _check_names(source, data, problems)
    for required in ("name", "command"):
        if required not in data:
            problems.append(ConfigProblem(required, "is required", None,
                                          'e.g. command = ["python", "train.py"]' if required == "command" else None))
    grid: dict[str, list[Scalar]] = {}
    seen: dict[str, str] = {}
    params: dict[str, Scalar] = {}
    if isinstance(data.get("params"), dict):
        for key, value in data["params"].items():
            if isinstance(value, (str, int, float, bool)):
                params[key] = value
                seen[key] = "params"
            elif isinstance(value, dict):
                problems.append(_table_problem(source, ["params", key], value))
            else:
                problems.append(source.problem(["params", key], f"must be a string, number or boolean, got {value!r}"))
    if data.get("grid") == {}:
        problems.append(source.problem(["grid"], "is empty", "add a parameter with a list of values, or remove [grid]"))
    if isinstance(data.get("grid"), dict):
        for key, raw in data["grid"].items():
            values = _values(source, ["grid", key], raw, problems)
            if key in seen:
                problems.append(source.problem(["grid", key], f"is also defined in [{seen[key]}]",
                                               "give each parameter one place: params, grid or one zip group"))
            elif values is not None:
                grid[key] = values
                seen[key] = "grid"
    zips: list[dict[str, list[Scalar]]] = []
    for number, group in enumerate(data.get("zip") or [] if isinstance(data.get("zip"), list) else []):
        if not isinstance(group, dict) or not group:
            problems.append(source.problem(["zip", number], "must be a non-empty table of lists ([[zip]])"))
            continue
        parsed: dict[str, list[Scalar]] = {}
        for key, raw in group.items():
            values = _values(source, ["zip", number, key], raw, problems)
            if key in seen:
                problems.append(source.problem(["zip", number, key], f"is also defined in [{seen[key]}]",
                                               "give each parameter one place: params, grid or one zip group"))
            elif values is not None:
                parsed[key] = values
                seen[key] = f"zip #{number + 1}"
        lengths = {k: len(v) for k, v in parsed.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            problems.append(source.problem(["zip", number], f"lists in one zip group must have equal length: {detail}"))
        elif parsed:
            zips.append(parsed)
    spec = SweepSpec(
        name=data.get("name", ""), command=data.get("command") or [],
        override_style=data.get("override_style", "hydra"), profile=data.get("profile"),
        workdir=data.get("workdir"), params=params, grid=grid, zips=zips,
        env=data.get("env", {}), path=source.path, hydra=data.get("hydra"),
    )
    if spec.override_style == "placeholder" and isinstance(data.get("command"), list):
        _check_placeholders(source, spec, problems)
    wd = Path(spec.workdir or ".")
    if wd.is_absolute() or ".." in wd.parts:
        problems.append(source.problem(["workdir"], "must be a relative path inside the repository"))
    check_passable(source, data, problems)
    if problems:
        raise ConfigError(source.path, problems)
    return spec


def _check_placeholders(source: TomlSource, spec: SweepSpec, problems: list[ConfigProblem]) -> None:
    used: set[str] = set()
    for part in spec.command:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(part) if f is not None]
        except ValueError as exc:
            problems.append(source.problem(["command"], f"bad placeholder in {part!r}: {exc}",
                                           "write a literal brace as {{ or }}"))
            continue
        for name in fields:
            if name not in {**spec.params, **spec.axes}:
                problems.append(source.problem(["command"], f"placeholder {{{name}}} names no parameter"))
            used.add(name)
    for name in {**spec.params, **spec.axes}:
        if name not in used:
            problems.append(source.problem(["command"], f"parameter {name!r} is not used by any {{placeholder}}",
                                           f"add {{{name}}} to command, or use override_style = \"hydra\""))


def load_sweep(path: Path) -> SweepSpec:
    return parse_sweep(load_toml(Path(path)))


def load_sweep_text(text: str, path: Path | None = None) -> SweepSpec:
    return parse_sweep(parse_toml_text(text, path))

"""Errors the engine raises: every user-facing failure names where it came from."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

class SnaptuiError(Exception):
    """A failure the user can act on; the CLI prints it without a traceback (exit 1)."""

    exit_code = 1


class StoreUnusable(SnaptuiError):
    """The state store is missing where sweeps were launched, damaged, or cannot be read or written:
    refused in one line, never replaced by a new one (`snaptui recover --rebuild` rebuilds it)."""


@dataclass
class ConfigProblem:
    """One thing wrong in a config or sweep file."""

    key: str
    message: str
    line: int | None = None
    hint: str | None = None

    def render(self, file: Path | str | None) -> str:
        where = str(file) if file else ""
        if self.line:
            where += f":{self.line}"
        head = ": ".join(part for part in (where, self.key, self.message) if part)
        return head + (f"\n    hint: {self.hint}" if self.hint else "")


class ConfigError(SnaptuiError):
    """Bad input in a TOML file or on the command line: nothing has been created (exit 2)."""

    exit_code = 2

    def __init__(self, file: Path | str | None, problems: list[ConfigProblem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(self.render())

    @classmethod
    def single(cls, file: Path | str | None, key: str, message: str, line: int | None = None,
               hint: str | None = None) -> ConfigError:
        return cls(file, [ConfigProblem(key, message, line, hint)])

    def render(self) -> str:
        return "\n".join(p.render(self.file) for p in self.problems)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a near-miss key, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


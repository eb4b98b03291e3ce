"""`snaptui config [--profile P] [--set K=V]`: every effective setting, its value and where it came from."""
from __future__ import annotations

from argparse import Namespace

import tomli_w
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine.api import Engine

UNSET = "(unset)"


def value_text(value) -> str:
    """A value as snaptui.toml and `--set` write it, on one line."""
    if value is None:
        return UNSET
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return tomli_w.dumps({"v": value})[4:].strip()


def show_config(engine: Engine, args: Namespace, out: Console) -> int:
    executor, rows = engine.settings(args.profile, args.sets)
    where = str(engine.config_file) if engine.config_file else "no snaptui.toml: the built-in defaults"
    out.print(Text.assemble("settings of profile ", (str(rows[0].value), "bold"), f" ({executor} executor); ",
                            ("config: ", "dim"), where))
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("key", "value", "unit", "from"):
        table.add_column(column, no_wrap=column != "value", overflow="fold",
                         max_width=36 if column == "value" else None)
    table.add_column("what it does", overflow="fold")
    for row in rows:
        source_style = "dim" if row.source == "default" else "cyan"
        table.add_row(row.key, Text(value_text(row.value), style="dim" if row.value is None else ""), row.unit,
                      Text(row.source, style=source_style), Text(row.help, style="dim"))
    out.print(table)
    return 0

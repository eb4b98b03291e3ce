"""Every effective setting of a profile, with where its value came from: what `snaptui config` prints."""
from __future__ import annotations

from typing import Any

from snaptui.engine.models import SettingRow
from .declare import user_settings
from .model import SECTIONS
from .settings import DEFAULT, EffectiveConfig


def setting_rows(config: EffectiveConfig, keymap: dict[str, str]) -> list[SettingRow]:
    """The profile's keys first (as `--set` names them), then each table's (``snapshot.enabled``)."""
    rows = [SettingRow("profile", config.profile_name, config.sources.get("defaults.profile", DEFAULT),
                       help="the profile chosen")]
    rows += _rows(config.profile, "", config.sources)
    for section in (name for name in SECTIONS if name != "defaults"):   # every table, a new one included
        rows += _rows(getattr(config, section), f"{section}.", config.sources)
    rows += [SettingRow(f"keymap.{action}", key, "snaptui.toml", help="the key of a TUI action")
             for action, key in keymap.items()]
    return rows


def _rows(table: Any, prefix: str, sources: dict[str, str] | Any) -> list[SettingRow]:
    return [SettingRow(prefix + name, getattr(table, name), sources.get(prefix + name, DEFAULT), declared.unit,
                       declared.help)
            for name, declared in user_settings(type(table)).items()]

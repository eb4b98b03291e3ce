"""Hydra launcher fields -> a snaptui profile and typed settings (what ``--set`` takes, as values)."""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Tuple

from omegaconf import DictConfig, ListConfig, OmegaConf
from snaptui.engine.models import Setting
from snaptui.engine.views import table_settings

from .config import LOCAL_IGNORED, launcher_fields

log = logging.getLogger(__name__)

def plain(value: Any) -> Any:
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def profile_and_sets(params: Dict[str, Any], kind: str, engine: Any) -> Tuple[str, List[Any]]:
    """The snaptui.toml profile to start from and the settings the launcher's fields make.

    ``profile`` if given (it must use this launcher's executor), else the first of $SNAPTUI_PROFILE,
    the project's default profile and the profile named like the executor that uses this executor,
    else the default profile switched over to this executor."""
    from snaptui.engine.errors import ConfigError

    profiles = engine.profiles

    def kind_of(name: str) -> str:
        return profiles.get(name, {}).get("executor", "local")

    profile = params.get("profile")
    if profile:
        if profile not in profiles:
            raise ConfigError.single("hydra.launcher.profile", profile, "no such profile in snaptui.toml",
                                     hint=f"profiles: {', '.join(sorted(profiles))}")
        if kind_of(profile) != kind:
            raise ConfigError.single("hydra.launcher.profile", profile,
                                     f"uses the {kind_of(profile)} executor, not {kind}",
                                     hint=f"use hydra/launcher=snaptui_{kind_of(profile)}")
    else:
        candidates = [os.environ.get("SNAPTUI_PROFILE"), engine.default_profile, kind]
        profile = next((p for p in candidates if p and p in profiles and kind_of(p) == kind), None)
        if profile is None:  # no profile of this kind: start from the default one, switched over
            profile = engine.default_profile
    sets = [Setting("executor", kind, "hydra/launcher")]
    for field_name, key in launcher_fields(kind).items():
        value = params.get(field_name)
        if value is None or value == {} or value == []:
            continue
        sets.append(Setting(key, value, f"hydra.launcher.{field_name}"))
    if kind == "local":
        ignored = [f for f in LOCAL_IGNORED if params.get(f) is not None]
        if ignored:
            log.warning(f"snaptui: {', '.join(ignored)} mean nothing to the local executor; ignored")
    snapshot = params.get("snapshot") or {}
    for field_name in table_settings("snapshot"):
        if snapshot.get(field_name) is not None:
            sets.append(Setting(f"snapshot.{field_name}", snapshot[field_name],
                                f"hydra.launcher.snapshot.{field_name}"))
    return profile, sets


"""The keys of a dummy profile (``executor = "dummy"``)."""
from typing import Annotated

from snaptui.engine.config.declare import setting
from snaptui.engine.config.model import Profile


class DummyProfile(Profile, frozen=True, kw_only=True):
    greeting: Annotated[str, setting("set as $DUMMY_GREETING in every job")] = "hello"

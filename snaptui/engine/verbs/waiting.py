"""Waiting verb: follow a sweep to its end, for the faces that wait (batch mode, the Hydra launcher)."""
from __future__ import annotations

import time
from typing import Iterator

from ..models import Sweep


class WaitVerbs:
    def follow(self, sweep_id: int, *, poll_s: float = 0.5, refresh_s: float = 5.0) -> Iterator[Sweep]:
        """The sweep as recorded, every `poll_s` (a cheap read of the store), until no job is active, that
        last state included. Every `refresh_s` it makes sure an agent runs and polls the schedulers."""
        last_refresh = time.monotonic()
        while True:
            sweep = self.sweep(sweep_id)
            yield sweep
            if not sweep.is_active:
                return
            if time.monotonic() - last_refresh > refresh_s:
                self.refresh()
                last_refresh = time.monotonic()
            time.sleep(poll_s)

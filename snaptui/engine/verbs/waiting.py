"""Waiting verb: follow a sweep to its end, for the faces that wait (batch mode, the Hydra launcher)."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterator

from ..models import Sweep

if TYPE_CHECKING:
    from ..store.store import Store


class WaitVerbs:
    if TYPE_CHECKING:   # api.Engine's
        def sweep(self, sweep_id: int) -> Sweep: ...
        def refresh(self) -> None: ...
        @property
        def store(self) -> Store: ...

    def follow(self, sweep_id: int, *, poll_s: float = 0.5, refresh_s: float = 5.0) -> Iterator[Sweep]:
        """The sweep as recorded, every `poll_s`, until no job is active, that last state included, which
        comes as soon as it is recorded: between yields the sweep is read again whenever the store changes
        (not more often than 5 times what a read costs), not after a fixed sleep (0.5 s of a 1-job sweep's
        wait was this sleep). Every `refresh_s` it makes sure an agent runs and polls the schedulers."""
        last_refresh = time.monotonic()
        store = self.store
        version = store.data_version()
        sweep = self.sweep(sweep_id)
        while True:
            yielded = time.monotonic()
            yield sweep
            if not sweep.is_active:
                return
            if time.monotonic() - last_refresh > refresh_s:
                self.refresh()
                last_refresh = time.monotonic()
            while True:  # until the sweep ends or poll_s has passed, whichever comes first
                version = store.wait_for_commit(version, max(0.0, yielded + poll_s - time.monotonic()))
                read_at = time.monotonic()
                sweep = self.sweep(sweep_id)
                left = yielded + poll_s - time.monotonic()
                if not sweep.is_active or left <= 0:
                    break
                time.sleep(min(5 * (time.monotonic() - read_at), left))

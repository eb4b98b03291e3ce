"""Messages the app posts to its screens."""
from __future__ import annotations

from textual.message import Message


class EngineEvents(Message, bubble=False):
    """State changes any process recorded in the store since the last poll: the app's event poller
    posts one to every engine screen on the stack (handled by ``EngineScreen.on_engine_events``)."""

    def __init__(self, events: list) -> None:
        super().__init__()
        self.events = events


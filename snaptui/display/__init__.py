"""What the TUI shows, worked out without widgets: the sweep model and its grid layout, sorted rows,
aggregates over seeds, the one-line summaries and small text renderables, the action registry that
feeds every screen's keys, and the messages the app posts to its screens.

Screens (``snaptui.screens``) and widgets (``snaptui.widgets``) render from here; nothing here draws."""

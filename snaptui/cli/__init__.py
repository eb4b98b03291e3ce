"""The command-line face: `snaptui VERB`, `snaptui --batch`, printed with rich; the TUI is the other face."""

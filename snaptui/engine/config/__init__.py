"""Settings: snaptui.toml over the embedded defaults, profiles, environment and ``--set`` overrides,
validated with file, line and key; and where a project lives (its git working tree, or the folder
holding its state)."""

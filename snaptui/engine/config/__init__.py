"""Settings, declared once and typed (model.py, and each executor's settings.py, known through
executors.py; declare.py reads a declaration back): snaptui.toml checked against them (check.py, with
file, line and key from tomlsource.py), resolved with a profile, the environment and ``--set`` into the
effective config a launch records (settings.py), shown by ``snaptui config`` (report.py) and the README
(reference.py). Also where a project lives (project.py) and the sweep file's table checker (schema.py)."""

"""The terminal face: a Textual app (app.py) with its screens and widgets; run_tui (run.py) starts it."""

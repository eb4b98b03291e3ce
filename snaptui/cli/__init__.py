"""The command-line face: `snaptui VERB`, `snaptui --batch`, printed with rich; the TUI is the other face."""


def main(argv=None):
    """`snaptui.cli:main`, the console script of installs made before the CLI became a package:
    a `git pull` without reinstalling keeps working (new installs point at snaptui.cli.main:main)."""
    from .main import main as run
    return run(argv)

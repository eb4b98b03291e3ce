"""The README's generated tables say what the code declares."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_tables_match_their_declarations():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "readme-tables"), "--check"], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr + "(run `make readme`)"

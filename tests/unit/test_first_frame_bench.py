"""bench/first_frame.py times each program importing in its own order: its patches wait for
Textual's modules, so what a program does before it imports Textual (kstui asks for its first
list on a thread then) happens in the bench as it does in use, beside Textual's imports."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import first_frame  # noqa: E402  (bench/ is not a package)

NOT_YET = "import sys\nassert 'textual' not in sys.modules, 'imported before the program'\n"


def test_a_program_imports_textual_itself_and_is_timed_to_its_first_frame() -> None:
    env = dict(os.environ, TERM="xterm-256color")
    marks = first_frame.run_once(["-c", NOT_YET + first_frame.BARE], env, timeout=30)
    assert marks, "the program died before its first frame"
    assert 0 < marks["cpu before run"] < marks["cpu"]
    assert 0 < marks["wall in run"] < marks["wall"]

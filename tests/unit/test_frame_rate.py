"""Textual's frame cap is kstui's (kstui/__init__.py: a key waits for the next frame slot), in
the app and in the benchmarks that time keys in process; the environment still wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_CAP = "import textual.constants as c; print(c.MAX_FPS)"


def frame_cap(first: str, environment_fps: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    if environment_fps is not None:
        env["TEXTUAL_FPS"] = environment_fps
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'bench'}"
    done = subprocess.run(
        [sys.executable, "-c", f"{first}; {PRINT_CAP}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    "first",
    [
        "import kstui.app",  # the app
        "import table",  # bench/table.py, and bench/tui.py through it
    ],
)
def test_the_frame_cap_is_kstuis(first: str) -> None:
    assert frame_cap(first) == "120"


def test_the_environment_still_wins() -> None:
    assert frame_cap("import kstui.app", environment_fps="30") == "30"

"""Textual's frame cap is kstui's (kstui/__init__.py: a key waits for the next frame slot), in
the app and in the benchmarks that time keys in process; the environment still wins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fresh_python import fresh_python

ROOT = Path(__file__).resolve().parents[2]
PRINT_CAP = "import textual.constants as c; print(c.MAX_FPS)"


def frame_cap(first: str, environment_fps: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    if environment_fps is not None:
        env["TEXTUAL_FPS"] = environment_fps
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'bench'}"
    return fresh_python(f"{first}; {PRINT_CAP}", cwd=ROOT, env=env).strip()


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

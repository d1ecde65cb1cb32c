"""Every SVG under snapshots/ belongs to a snapshot test. Syrupy fails a run on an unused
snapshot only when one process runs every test; on pytest-xdist workers it cannot tell, so
this checks the same thing from the collected test names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COLLECTED

ROOT = Path(__file__).resolve().parents[2]
VISUAL = ROOT / "tests" / "visual"
EXCLUDED = re.compile(r'[\\/?*:|"<>]')
"""Characters syrupy leaves out of a snapshot's file name."""
PYTEST = (sys.executable, "-m", "pytest")


def visual_test_ids(config: pytest.Config, session: pytest.Session) -> list[str]:
    """The ids of every test under tests/visual: this run's collection when it took the whole
    folder (the README's command does), else a collection of its own."""
    whole = any(
        VISUAL.is_relative_to(Path(config.invocation_params.dir, arg).resolve())
        for arg in config.args
    )
    if whole and COLLECTED in session.stash:
        return session.stash[COLLECTED]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [
            *PYTEST,
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "tests/visual",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.splitlines()


def test_every_snapshot_has_its_test(request: pytest.FixtureRequest) -> None:
    names = set()
    for test_id in visual_test_ids(request.config, request.session):
        path, sep, name = test_id.partition("::")
        if sep and path.startswith("tests/visual/"):
            names.add((Path(path).stem, EXCLUDED.sub("", name)))
    assert len(names) > 50  # the collection worked
    unused = []
    for svg in sorted((ROOT / "snapshots").rglob("*.svg")):
        module = svg.parent.name
        name = re.sub(r"\.\d+$", "", svg.stem)  # a test's second snapshot is `name.1`
        if svg.parent.parent != ROOT / "snapshots" / "visual" or (module, name) not in names:
            unused.append(str(svg.relative_to(ROOT)))
    assert not unused, f"snapshots no test takes (delete them or restore the test): {unused}"

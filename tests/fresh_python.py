"""Python code run in a fresh interpreter, for what only a new process shows (the modules a
start imports, what a thread loads): its standard output, or CalledProcessError."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def fresh_python(
    code: str,
    *,
    timeout: float | None = 120,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
    return done.stdout

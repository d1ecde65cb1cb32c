"""Where the tests find real kubectl and Helm binaries of a given version.

`make test-binaries` (run by .ci/run) puts kubectl 1.35.2 + Helm 4.1.4 in `<cache>/v35/` and
kubectl 1.32.3 + Helm 3.17.2 in `<cache>/v32/`, where `<cache>` is $KSTUI_TEST_BIN or
~/.cache/kstui-test-bin. A binary of the right version on PATH also does. Under CI=true a missing
binary fails the test; locally it skips and says how to install it.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

# kubectl minor -> (cache slot, exact version the slot holds); Helm major -> cache slot.
KUBECTL_SLOTS = {"1.35": "v35", "1.32": "v32"}
HELM_SLOTS = {4: "v35", 3: "v32"}
KUBECTL_VERSIONS = tuple(KUBECTL_SLOTS)
HELM_MAJORS = tuple(HELM_SLOTS)


def cache_dir() -> Path:
    override = os.environ.get("KSTUI_TEST_BIN")
    return Path(override) if override else Path.home() / ".cache" / "kstui-test-bin"


def _version_of(path: str, *args: str) -> str:
    try:
        result = subprocess.run(
            [path, *args], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return ""
    return result.stdout


@functools.cache
def _find(tool: str, slot: str, wanted: str, cache: Path) -> str | None:
    candidate = cache / slot / tool
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    on_path = shutil.which(tool)
    if on_path is None:
        return None
    if tool == "kubectl":
        said = _version_of(on_path, "version", "--client")
        # A dispatcher picks another kubectl by the server's version: not a fixed client.
        matches = f"Client Version: v{wanted}." in said and "dispatcher" not in said
    else:
        matches = _version_of(on_path, "version", "--short").startswith(f"v{wanted}.")
    return on_path if matches else None


def _missing(what: str) -> None:
    message = f"{what} is not installed: run `make test-binaries` (installs into {cache_dir()})"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def kubectl(version: str) -> str:
    """The absolute path of kubectl `version` ("1.35" or "1.32"); fails under CI, else skips."""
    path = _find("kubectl", KUBECTL_SLOTS[version], version, cache_dir())
    if path is None:
        _missing(f"kubectl {version}")
    return path  # type: ignore[return-value]


def helm(major: int) -> str:
    """The absolute path of Helm `major` (4 or 3); fails under CI, else skips."""
    path = _find("helm", HELM_SLOTS[major], str(major), cache_dir())
    if path is None:
        _missing(f"helm {major}")
    return path  # type: ignore[return-value]

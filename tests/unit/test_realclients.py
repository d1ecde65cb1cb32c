"""How the tests find the real kubectl and Helm binaries: a missing one fails under CI and
skips locally, naming the make target; a cached binary of the slot is used by absolute path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import realclients


def _empty_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KSTUI_TEST_BIN", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))


def test_missing_binary_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _empty_path(monkeypatch, tmp_path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"helm 4 is not installed: run `make "):
        realclients.helm(4)


def test_missing_binary_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _empty_path(monkeypatch, tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"make test-binaries"):
        realclients.kubectl("1.32")


def test_cached_binary_is_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _empty_path(monkeypatch, tmp_path)
    binary = tmp_path / "cache" / "v35" / "kubectl"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert realclients.kubectl("1.35") == str(binary)

"""`kstui demo` takes its sandbox and its directory (a kubeconfig with tokens, the log) with it
on every way out: `:q`, the terminal closing under it (SIGHUP), and SIGTERM (`timeout`)."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import time
from pathlib import Path

import pytest

from tests.ui.terminal import Terminal

DEMO = ["demo", "--clusters", "1", "--pods", "3", "--churn", "0", "--no-tls"]


def _sandboxes(marker: str) -> list[int]:
    """Processes whose command line names the test's own temp directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
    return found


def _started(tmp_path: Path) -> tuple[Terminal, Path]:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    term = Terminal(DEMO, tmp_path, env={"TMPDIR": str(tmp)})
    term.wait_for(r"pods", timeout=90)
    entries = list(tmp.glob("kstui-demo-*"))
    assert len(entries) == 1, (entries, term.since(0)[-2000:])
    [workdir] = entries
    assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
    assert (workdir / "kubeconfig").exists()
    assert _sandboxes(str(tmp)), "no sandbox running beside the demo"
    return term, tmp


def _nothing_left(term: Terminal, tmp: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(term.pid, os.WNOHANG)[0]:
                break
        time.sleep(0.05)
    deadline = time.monotonic() + 20
    while (_sandboxes(str(tmp)) or list(tmp.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _sandboxes(str(tmp))
    for pid in left:  # do not leak them into the rest of the run
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], "the sandbox outlived the demo"
    assert list(tmp.iterdir()) == [], "the demo's directory was left behind"


@pytest.mark.parametrize("way", ["quit", "hangup", "sigterm"])
def test_the_demo_leaves_no_sandbox_and_no_files(tmp_path: Path, way: str) -> None:
    term, tmp = _started(tmp_path)
    if way == "quit":
        term.write(b":q\r")
    elif way == "hangup":
        os.close(term.fd)  # the terminal goes (an SSH drop): the kernel sends SIGHUP
        term._reader.join(2)
    else:
        mark = term.mark()
        os.kill(term.pid, signal.SIGTERM)
    try:
        _nothing_left(term, tmp)
        if way == "sigterm":  # the terminal is handed back: main screen, cursor shown
            time.sleep(0.3)
            assert b"\x1b[?1049l" in term.raw[mark:]
            assert b"\x1b[?25h" in term.raw[mark:]
    finally:
        with contextlib.suppress(ChildProcessError, ProcessLookupError):
            os.kill(term.pid, signal.SIGKILL)
            os.waitpid(term.pid, 0)
        if way != "hangup":
            with contextlib.suppress(OSError):
                os.close(term.fd)


def _gone(term: Terminal) -> None:
    """Whatever a test left running goes: the demo (and with it its sandbox), its terminal."""
    with contextlib.suppress(ChildProcessError, ProcessLookupError):
        os.kill(term.pid, signal.SIGKILL)
        os.waitpid(term.pid, 0)
    with contextlib.suppress(OSError):
        os.close(term.fd)


def _prometheus_processes(marker: str) -> list[int]:
    found = []
    for pid in _sandboxes(marker):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/exe").resolve().name == "prometheus":
                found.append(pid)
    return found


@pytest.mark.parametrize("way", ["quit", "sigterm"])
def test_the_demo_takes_its_prometheus_with_it(tmp_path: Path, way: str) -> None:
    from kstui.sandbox.prometheus import binaries

    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus/promtool are not installed: .ci/run installs them (CI=true)")
        pytest.skip("needs the `prometheus` package (apt-get install prometheus)")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    term = Terminal([*DEMO, "--prometheus"], tmp_path, env={"TMPDIR": str(tmp)})
    try:
        term.wait_for(r"pods", timeout=90)
        [workdir] = list(tmp.glob("kstui-demo-*"))
        deadline = time.monotonic() + 60
        while "prometheus:" not in (workdir / "sandbox.log").read_text():
            assert time.monotonic() < deadline, (workdir / "sandbox.log").read_text()
            time.sleep(0.1)
        assert "24 h of history" in (workdir / "sandbox.log").read_text()
        assert _prometheus_processes(str(tmp)), "no prometheus beside the demo"
        if way == "quit":
            term.write(b":q\r")
        else:
            os.kill(term.pid, signal.SIGTERM)
        _nothing_left(term, tmp)
    finally:
        _gone(term)


def test_the_demo_as_admin_opens_on_all_namespaces(tmp_path: Path) -> None:
    term, tmp = _started(tmp_path)
    try:
        term.wait_drawn("ns all", timeout=60)
        term.write(b":q\r")
        _nothing_left(term, tmp)
    finally:
        _gone(term)


def test_the_demo_as_the_tenant_opens_on_her_project_not_a_refused_list_of_all(
    tmp_path: Path,
) -> None:
    """alice may list pods in shop-prod only: her context's namespace, not all namespaces."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with_tls = [arg for arg in DEMO if arg != "--no-tls"]  # over http no token is sent
    term = Terminal(
        [*with_tls, "--no-prometheus", "--context", "tenant"], tmp_path, env={"TMPDIR": str(tmp)}
    )
    try:
        term.wait_drawn("ns shop-prod", timeout=90)
        term.wait_for(r"\d+/\d+ +Running", timeout=60)  # her pods, listed
        assert "forbidden" not in term.since(0)
        term.write(b":q\r")
        _nothing_left(term, tmp)
    finally:
        _gone(term)

"""Without a terminal the UI commands say so and exit 2; the headless commands still work."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RunningSandbox


def run(args: list[str], tmp_path: Path, **streams: object) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update(
        {
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "TMPDIR": str(tmp_path),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "kstui", *args], env=env, timeout=30, check=False, **streams
    )  # type: ignore[call-overload]


def test_output_to_a_file_exits_2_with_the_reason(sandbox: RunningSandbox, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with out.open("wb") as file:
        result = run(
            ["--kubeconfig", str(sandbox.kubeconfig)],
            tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=file,
            stderr=subprocess.PIPE,
        )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "kstui: needs a terminal (stdin and stdout are not TTYs): run it interactively\n"
    )
    assert b"\x1b" not in out.read_bytes()


@pytest.mark.parametrize("tty", ["stdin", "stdout"])
def test_one_side_not_a_terminal_is_named(
    sandbox: RunningSandbox, tmp_path: Path, tty: str
) -> None:
    """A terminal on one side only: the other side is named."""
    controller, terminal = pty.openpty()
    try:
        streams = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, tty: terminal}
        result = run(
            ["--kubeconfig", str(sandbox.kubeconfig)], tmp_path, stderr=subprocess.PIPE, **streams
        )
    finally:
        os.close(terminal)
        os.close(controller)
    other = "stdout" if tty == "stdin" else "stdin"
    assert result.returncode == 2
    assert f"needs a terminal ({other} is not a TTY)" in result.stderr.decode()


def test_demo_says_so_before_starting_a_sandbox(tmp_path: Path) -> None:
    result = run(
        ["demo"],
        tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert result.returncode == 2
    assert result.stderr.decode().startswith("kstui demo: needs a terminal (")
    assert b"\x1b" not in result.stdout
    assert not list(tmp_path.glob("kstui-demo-*")), "a sandbox was set up"


def test_headless_commands_need_no_terminal(tmp_path: Path) -> None:
    for args in (["--version"], ["--help"], ["sandbox", "--help"]):
        result = run(args, tmp_path, stdin=subprocess.DEVNULL, capture_output=True)
        assert result.returncode == 0, (args, result.stderr)
        assert b"\x1b" not in result.stdout
        assert b"terminal" not in result.stderr
    kubeconfig = tmp_path / "kubeconfig"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kstui",
            "sandbox",
            "--clusters",
            "1",
            "--pods",
            "1",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        assert sandbox.stdout is not None
        deadline = time.monotonic() + 60
        for line in sandbox.stdout:
            if b"ready in" in line or time.monotonic() > deadline:
                break
        assert kubeconfig.exists()
        assert sandbox.poll() is None, "the sandbox serves without a terminal"
    finally:
        sandbox.send_signal(signal.SIGINT)
        try:
            sandbox.wait(30)
        except subprocess.TimeoutExpired:
            sandbox.kill()
            sandbox.wait()


def test_stderr_redirected_is_named_and_gets_no_screen(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The screen is drawn on stderr: with stderr in a file the UI would be drawn into it."""
    controller, terminal = pty.openpty()
    err = tmp_path / "err.txt"
    try:
        with err.open("wb") as file:
            result = run(
                ["--kubeconfig", str(sandbox.kubeconfig)],
                tmp_path,
                stdin=terminal,
                stdout=terminal,
                stderr=file,
            )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 2
    written = err.read_bytes()
    assert b"needs a terminal (stderr is not a TTY" in written
    assert b"\x1b" not in written

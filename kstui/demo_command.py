"""`kstui demo`: a sandbox in a child process, then the app on it; both go together."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kstui.terminal_check import needs_terminal


def _die_with_parent(parent: int) -> None:
    """In the sandbox child, before exec: SIGTERM when the demo goes, however it goes
    (prctl PR_SET_PDEATHSIG, Linux; elsewhere the parent's handlers must do)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PDEATHSIG
    if os.getppid() != parent:  # the demo already went, before the line above
        os.kill(os.getpid(), signal.SIGTERM)


_LEAVE_SCREEN = (
    b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"  # mouse reports off
    b"\x1b[?2004l\x1b[?1004l"  # bracketed paste, focus reports off
    b"\x1b[?1049l\x1b[?25h"  # the main screen back, the cursor shown
)


class _DemoSandbox:
    """The sandbox child and its 0700 directory (a kubeconfig with tokens, the log): both go
    with the demo on every path, quit, crash, SIGHUP (terminal closed), SIGTERM, SIGINT."""

    SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)

    def __init__(self, command_for: Callable[[Path], list[str]]) -> None:
        import subprocess

        self.workdir = Path(tempfile.mkdtemp(prefix="kstui-demo-"))
        self.workdir.chmod(0o700)
        self.kubeconfig = self.workdir / "kubeconfig"
        self.log_path = self.workdir / "sandbox.log"
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in self.SIGNALS}
        self._tty: list[Any] | None = None
        with contextlib.suppress(OSError, ValueError, ImportError):
            import termios

            self._tty = termios.tcgetattr(0)  # before the UI makes it raw
        atexit.register(self.stop)
        parent = os.getpid()
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command_for(self.kubeconfig),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "TMPDIR": str(self.workdir)},  # its keys go with the rest
                start_new_session=True,  # its own group: the terminal's ^C is not for it
                preexec_fn=lambda: _die_with_parent(parent),
            )

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop()
        if signum != signal.SIGHUP:  # a terminal is still there: leave it usable
            with contextlib.suppress(OSError, ValueError, ImportError):
                os.write(2, _LEAVE_SCREEN)  # fd 2: the app swaps sys.stderr
                if self._tty is not None:
                    import termios

                    termios.tcsetattr(0, termios.TCSADRAIN, self._tty)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # die of it, as without the handler

    def stop(self) -> None:
        import shutil
        import subprocess

        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)  # the child and anything it started
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                if signal.getsignal(sig) == self._on_signal:
                    signal.signal(sig, previous)


def run(args: argparse.Namespace, run_app: Callable[[argparse.Namespace, str], int]) -> int:
    """The sandbox in its own process (it never competes with the UI's loop), then the app."""
    status = needs_terminal("kstui demo")  # before a sandbox is started for nothing
    if status is not None:
        return status

    def command_for(kubeconfig: Path) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "kstui",
            "sandbox",
            "--kubeconfig",
            str(kubeconfig),
            "--clusters",
            str(args.clusters),
            "--pods",
            str(args.pods),
            "--seed",
            str(args.seed),
            "--churn",
            str(args.churn),
            "--kubesphere-version",
            args.kubesphere_version,
            "--workspaces",
            str(args.workspaces),
            "--projects",
            str(args.projects),
            "--tls" if args.tls else "--no-tls",
        ]
        if args.port:
            command += ["--port", str(args.port)]
        if args.vanilla:
            command.append("--vanilla")
        if args.prometheus is not None:
            command.append("--prometheus" if args.prometheus else "--no-prometheus")
        return command

    sandbox = _DemoSandbox(command_for)
    try:
        log_path, deadline = sandbox.log_path, time.monotonic() + 120
        while "ready in" not in log_path.read_text():
            if sandbox.process.poll() is not None or time.monotonic() > deadline:
                sys.stderr.write(
                    f"kstui demo: the sandbox did not start:\n{log_path.read_text()[-2000:]}\n"
                )
                return 2
            time.sleep(0.02)
        if not args.namespace and not _context_namespace(sandbox.kubeconfig, args.context):
            # the admin contexts have none: show everything; the tenant's (alice) is the one
            # project she may list, where a list of all namespaces would only be refused
            args.all_namespaces = True
        return run_app(args, str(sandbox.kubeconfig))
    finally:
        sandbox.stop()


def _context_namespace(kubeconfig: Path, context: str | None) -> str:
    from kstui.backends.errors import KstuiError
    from kstui.backends.kubeconfig import load_kubeconfig

    try:
        namespace = load_kubeconfig(str(kubeconfig)).context(context).namespace
    except KstuiError:
        return ""  # an unknown --context: the app says so, in its words
    # The sandbox's kubeconfig names a namespace for the tenant only; a context without one
    # reads as "default".
    return "" if namespace == "default" else namespace

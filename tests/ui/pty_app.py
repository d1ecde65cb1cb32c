"""The real `python -m kstui` on a pseudo-terminal: every byte it writes is kept, keys go in as
a terminal would send them. For tests about what reaches the terminal itself."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ENTER, ESCAPE, CTRL_P, CTRL_Q = "\r", "\x1b", "\x10", "\x11"

# What the app's own renderer writes: CSI, OSC (to BEL or ST), and the short ESC forms.
_TERMINAL_CODES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\"
    rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHMNOZ]"
)


def screen_text(raw: bytes) -> str:
    """The text that was drawn, in write order, without the renderer's escape sequences."""
    return _TERMINAL_CODES.sub(b"", raw).decode("utf-8", "replace")


class PtyApp:
    """A process on a pty, its output gathered by a thread; `wait_for` polls, never sleeps
    a fixed time, so a slow machine only makes it slower."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str], *, columns: int = 200, lines: int = 50
    ) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: size its terminal first, then become the app
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
                os.execvpe(argv[0], list(argv), env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self._output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.5)
                if not ready:
                    continue
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                return  # the child closed the terminal
            if not chunk:
                return
            with self._lock:
                self._output += chunk

    @property
    def output(self) -> bytes:
        with self._lock:
            return bytes(self._output)

    def mark(self) -> int:
        """A position in the output: `wait_for(..., since=mark)` looks only after it."""
        with self._lock:
            return len(self._output)

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def press(self, *keys: str, pause: float = 0.3) -> None:
        """Keys one at a time (a lone ESC needs a pause to count as the escape key)."""
        for key in keys:
            self.send(key)
            time.sleep(pause)

    def wait_for(self, *texts: str, since: int = 0, timeout: float = 60.0) -> str:
        """Wait until every text has been drawn after `since`; returns the text drawn."""
        deadline = time.monotonic() + timeout
        while True:
            drawn = screen_text(self.output[since:])
            if all(text in drawn for text in texts):
                return drawn
            if time.monotonic() > deadline:
                missing = [text for text in texts if text not in drawn]
                raise AssertionError(
                    f"not drawn within {timeout:.0f}s: {missing!r}\nlast drawn: {drawn[-3000:]!r}"
                )
            if not self.alive():
                raise AssertionError(f"the app exited; it drew: {drawn[-3000:]!r}")
            time.sleep(0.1)

    def alive(self) -> bool:
        with contextlib.suppress(ChildProcessError):
            done, _status = os.waitpid(self.pid, os.WNOHANG)
            return done == 0
        return False

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.send(CTRL_Q)
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        self._reader.join(5)
        with contextlib.suppress(OSError):
            os.close(self.fd)


@contextlib.contextmanager
def kstui_on_pty(args: Sequence[str], home: Path, **size: int) -> Iterator[PtyApp]:
    """`python -m kstui ARGS` with its own HOME, config and cache: nothing of the user's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KUBE", "XDG_", "TEXTUAL"))
    }
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
    )
    app = PtyApp([sys.executable, "-m", "kstui", *args], env, **size)
    try:
        yield app
    finally:
        app.stop()

"""The real `python -m kstui` on a pseudo-terminal: bytes in as a user types them, every byte
it writes kept. For tests about what reaches the terminal itself, and about keys that arrive
faster than the app reads them."""

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
from pathlib import Path

ENTER, ESCAPE, CTRL_P, CTRL_Q = "\r", "\x1b", "\x10", "\x11"

# What the app's own renderer writes: CSI, OSC (to BEL or ST), DCS, and the short ESC forms.
# What is left is the text that was drawn.
_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\"
    rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHMNOZ]|\x1b[@-_]"
)


def screen_text(raw: bytes) -> str:
    """The text that was drawn, in write order, without the renderer's escape sequences."""
    return _ESCAPES.sub(b"", raw).decode("utf-8", "replace")


class Terminal:
    """kstui in a child process on a pty (columns x lines) with its own HOME, config and
    cache, read by a background thread. Waits poll, never sleep a fixed time, so a slow
    machine only makes them slower."""

    def __init__(
        self,
        args: list[str],
        home: Path,
        *,
        columns: int = 160,
        lines: int = 40,
        env: dict[str, str] | None = None,
    ) -> None:
        child_env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("KUBE", "XDG_", "TEXTUAL")) and key != "NO_COLOR"
        }
        child_env.update(env or {})
        child_env.update(
            {
                "TERM": "xterm-256color",
                "COLORTERM": "truecolor",
                "LANG": "C.UTF-8",
                "LC_ALL": "C.UTF-8",
                "HOME": str(home),
                "COLUMNS": str(columns),
                "LINES": str(lines),
                "XDG_CONFIG_HOME": str(home / "config"),
                "XDG_CACHE_HOME": str(home / "cache"),
            }
        )
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: size its terminal first, then become kstui
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
                os.execvpe(sys.executable, [sys.executable, "-m", "kstui", *args], child_env)
            finally:
                os._exit(127)
        self._raw = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                if not select.select([self.fd], [], [], 0.2)[0]:
                    continue
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                return  # the child closed the terminal
            if not chunk:
                return
            with self._lock:
                self._raw += chunk

    @property
    def raw(self) -> bytes:
        with self._lock:
            return bytes(self._raw)

    def mark(self) -> int:
        """A position in the output: `since(mark)` is what was drawn after it."""
        with self._lock:
            return len(self._raw)

    def since(self, mark: int) -> str:
        with self._lock:
            return screen_text(bytes(self._raw[mark:]))

    def write(self, data: bytes) -> None:
        """One write: the app reads it in one go, as with a paste or a fast typist over SSH."""
        os.write(self.fd, data)

    def press(self, *keys: str, pause: float = 0.3) -> None:
        """Keys one at a time (a lone ESC needs a pause to count as the escape key)."""
        for key in keys:
            self.write(key.encode())
            time.sleep(pause)

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = 60.0) -> re.Match[str]:
        """Until `pattern` (a regex) has been drawn after `after`."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.since(after))
            if found:
                return found
            self._still_waiting(deadline, f"{pattern!r}", after)
            time.sleep(0.05)

    def wait_drawn(self, *texts: str, after: int = 0, timeout: float = 60.0) -> str:
        """Until every text (literally) has been drawn after `after`; the text drawn."""
        deadline = time.monotonic() + timeout
        while True:
            drawn = self.since(after)
            missing = [text for text in texts if text not in drawn]
            if not missing:
                return drawn
            self._still_waiting(deadline, f"{missing!r}", after)
            time.sleep(0.1)

    def _still_waiting(self, deadline: float, what: str, after: int) -> None:
        if time.monotonic() > deadline:
            tail = self.since(after)[-3000:]
            raise AssertionError(f"timed out waiting for {what}; screen tail:\n{tail!r}")
        if not self.alive():
            raise AssertionError(f"the app exited; it drew: {self.since(after)[-3000:]!r}")

    def alive(self) -> bool:
        with contextlib.suppress(ChildProcessError):
            done, _status = os.waitpid(self.pid, os.WNOHANG)
            return done == 0
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.write(CTRL_Q.encode())
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        self._reader.join(2)
        with contextlib.suppress(OSError):
            os.close(self.fd)

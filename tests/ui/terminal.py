"""The real `python -m kstui` on a pseudo-terminal: bytes in as a user types them, screen out."""

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

# CSI, OSC (BEL or ST ended) and two-byte escapes: what is left is the text on screen.
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


def screen_text(raw: bytes) -> str:
    return _ESCAPES.sub(b"", raw).decode("utf-8", "replace")


class Terminal:
    """kstui in a child process on a pty (columns x lines), read by a background thread."""

    def __init__(
        self,
        args: list[str],
        home: Path,
        *,
        columns: int = 160,
        lines: int = 40,
        env: dict[str, str] | None = None,
    ) -> None:
        extra = env or {}
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env.update(extra)
        env.update(
            {
                "TERM": "xterm-256color",
                "HOME": str(home),
                "COLUMNS": str(columns),
                "LINES": str(lines),
                "XDG_CONFIG_HOME": str(home / "config"),
                "XDG_CACHE_HOME": str(home / "cache"),
            }
        )
        env.pop("NO_COLOR", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child becomes kstui
            os.execvpe(sys.executable, [sys.executable, "-m", "kstui", *args], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self._raw = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                if not select.select([self.fd], [], [], 0.2)[0]:
                    continue
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                return
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

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.since(after))
            if found:
                return found
            if time.monotonic() > deadline:
                tail = self.since(after)[-3000:]
                raise AssertionError(f"timed out waiting for {pattern!r}; screen tail:\n{tail}")
            time.sleep(0.05)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.fd, b"\x11")  # ctrl+q
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, _status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)
        self._reader.join(2)

"""Shared by the launch benchmarks (bench/tui.py, bench/startup.py, bench/memory.py): the sandbox
in its own process, a program on a real pty with timestamps of what it draws, and kubectl.

Imports nothing from kstui, so a benchmark that times a start pays for none of it itself.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

COLUMNS, LINES = 160, 48
LOADED = re.compile(rb"pods\(all\)\[(\d+)\]")
"""kstui's breadcrumb once every row is in (no "…" after the count)."""


class SandboxProcess:
    """`kstui sandbox` in its own process (never competing with the measured one's loop), back
    once its log says `ready` (within `timeout` s); `extra` are more `kstui sandbox` options."""

    def __init__(
        self,
        pods: int,
        churn: float,
        workdir: Path,
        *extra: str,
        clusters: int = 1,
        ready: str = "ready in",
        timeout: float = 300,
    ) -> None:
        self.kubeconfig = workdir / "kubeconfig"
        self.log = workdir / "sandbox.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kstui",
                    "sandbox",
                    "--clusters",
                    str(clusters),
                    "--pods",
                    str(pods),
                    "--churn",
                    str(churn),
                    "--kubeconfig",
                    str(self.kubeconfig),
                    *extra,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while ready not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"sandbox did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


Marker = Callable[[bytes, bytes], float | bool | None]
"""(everything seen so far, the newest chunk) → truthy once the mark is reached; a float is
also kept as the mark's value (e.g. the row count)."""


def first_frame_marker(seen: bytes, _chunk: bytes) -> bool:
    return "⎈".encode() in seen


def first_rows_marker(_seen: bytes, chunk: bytes) -> bool:
    return b"Running" in chunk or b"Pending" in chunk


def all_rows_marker(seen: bytes, _chunk: bytes) -> float | None:
    found = LOADED.findall(seen)
    return float(found[-1]) if found else None


KSTUI_MARKS: dict[str, Marker] = {
    "first frame": first_frame_marker,
    "first rows": first_rows_marker,
    "all rows": all_rows_marker,
}


def kstui_argv(kubeconfig: Path) -> list[str]:
    return [sys.executable, "-m", "kstui", "--kubeconfig", str(kubeconfig), "-A"]


def launch_once(
    argv: list[str],
    env: dict[str, str],
    marks: dict[str, Marker],
    *,
    timeout: float = 120,
    settle: float = 0.5,
) -> dict[str, float]:
    """Spawn argv on a pty (COLUMNS x LINES); seconds from the spawn to each mark, until the
    last one is reached. Then `rss` (MiB, after `settle` s) and `value <mark>` for marks that
    gave a number. The program is sent ctrl+q, and killed if it does not go."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    seen = b""
    found: dict[str, float] = {}
    last = list(marks)[-1]
    deadline = started + timeout
    try:
        while time.perf_counter() < deadline and last not in found:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            now = time.perf_counter() - started
            seen = (seen + chunk)[-200_000:]
            for name, marker in marks.items():
                if name in found and name != last:
                    continue
                value = marker(seen, chunk)
                if value:
                    found[name] = found.get(name, now)
                    if isinstance(value, float):
                        found[f"value {name}"] = value
        if settle:
            time.sleep(settle)  # let the app settle before reading its memory
            found["rss"] = rss_mib(pid)
    finally:
        os.write(fd, b"\x11")  # ctrl+q
        end = time.monotonic() + 5
        while time.monotonic() < end:
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                if select.select([fd], [], [], 0.1)[0]:
                    os.read(fd, 1 << 16)
            except OSError:
                pass
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return found


def kubectl_once(kubeconfig: Path, cache: Path) -> dict[str, float]:
    """`kubectl get pods -A`: seconds to its first row and to its exit; `cache` is its
    discovery cache and HOME (an empty one is a cold start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update({"KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(cache), "HOME": str(cache)})
    started = time.perf_counter()
    process = subprocess.Popen(
        ["kubectl", "get", "pods", "-A"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert process.stdout is not None
    first = None
    lines = 0
    for _line in process.stdout:
        lines += 1
        if first is None and lines > 1:  # the header alone is not a row
            first = time.perf_counter() - started
    process.wait()
    return {
        "first rows": first or float("nan"),
        "all rows": time.perf_counter() - started,
        "rows": lines - 1,
    }

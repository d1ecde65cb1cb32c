"""The real terminal joined to an exec stream (pod_exec.ExecStream): raw mode, keys to stdin,
output to the terminal, the terminal's size sent first and again on each SIGWINCH. The app is
suspended meanwhile (Textual's App.suspend, done by the caller); termios and the signal are
put back however the stream ends. An attach (pod_attach.py) names detach keys: typed, the
bridge lets go of the stream (Detached) and the process in the container runs on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import termios
import tty
from typing import Any

from kstui.backends.pod_exec import ExecStream


class Detached(Exception):
    """The user typed the detach keys: the stream is let go, its process runs on."""


def terminal_size(fd: int) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return 80, 24
    return size.columns, size.lines


def make_raw(fd: int, remote_tty: bool = True) -> None:
    """Keys go through unread (raw). Without a TTY in the container its output has bare
    newlines, so the terminal keeps turning them into CR LF (kubectl, without -t, leaves
    output processing on too); with one, the container's TTY does that itself."""
    tty.setraw(fd, termios.TCSANOW)
    if not remote_tty:
        attributes = termios.tcgetattr(fd)
        attributes[1] |= termios.OPOST | termios.ONLCR
        termios.tcsetattr(fd, termios.TCSANOW, attributes)


async def bridge(
    stream: ExecStream,
    stdin_fd: int = 0,
    stdout_fd: int = 1,
    *,
    detach: bytes = b"",
    keys: bool = True,
    banner: bytes = b"",
    remote_tty: bool = True,
) -> int:
    """Run the session to its end; its exit code (StreamLost and the like are raised after the
    terminal is restored). `detach`, typed, raises Detached; `keys` False sends no keys (a
    read-only attach: there ctrl+c detaches too); `banner` is written first; `remote_tty`
    False: the container has no TTY (make_raw)."""
    loop = asyncio.get_running_loop()
    outgoing: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    detached = asyncio.Event()
    held = bytearray()  # the start of the detach keys, until the next key says whether

    def key_ready() -> None:
        try:
            data = os.read(stdin_fd, 4096)
        except OSError:
            data = b""
        if detach and data:
            data = bytes(held) + data
            held.clear()
            if detach in data or (not keys and b"\x03" in data):
                detached.set()
                return
            for size in range(len(detach) - 1, 0, -1):
                if data.endswith(detach[:size]):
                    held.extend(data[-size:])
                    data = data[:-size]
                    break
            if not data:
                return
        if keys or not data:
            outgoing.put_nowait(("stdin", data))

    async def pump() -> None:
        while (output := await stream.next()) is not None:
            os.write(stdout_fd, output[1])

    def resized() -> None:
        outgoing.put_nowait(("resize", terminal_size(stdout_fd)))

    async def send() -> None:
        while True:
            what, value = await outgoing.get()
            if what == "resize":
                await stream.resize(*value)
            elif value:
                await stream.send(value)
            else:  # the terminal closed
                await stream.close_stdin()
                loop.remove_reader(stdin_fd)

    saved = termios.tcgetattr(stdin_fd) if os.isatty(stdin_fd) else None
    old_winch = signal.getsignal(signal.SIGWINCH)
    sender = asyncio.create_task(send())
    try:
        if saved is not None:
            make_raw(stdin_fd, remote_tty)
        if banner:
            os.write(stdout_fd, banner)
        await stream.resize(*terminal_size(stdout_fd))
        loop.add_reader(stdin_fd, key_ready)
        loop.add_signal_handler(signal.SIGWINCH, resized)
        reading = asyncio.ensure_future(pump())
        waiting = asyncio.ensure_future(detached.wait())
        try:
            await asyncio.wait({reading, waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reading, waiting):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if not reading.cancelled():
            reading.result()  # StreamLost and the like
    finally:
        loop.remove_reader(stdin_fd)
        loop.remove_signal_handler(signal.SIGWINCH)
        signal.signal(signal.SIGWINCH, old_winch)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
    if detached.is_set():
        raise Detached
    return stream.exit_code()

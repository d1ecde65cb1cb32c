"""The real terminal joined to an exec stream (pod_exec.ExecStream): raw mode, keys to stdin,
output to the terminal, the terminal's size sent first and again on each SIGWINCH. The app is
suspended meanwhile (Textual's App.suspend, done by the caller); termios and the signal are
put back however the stream ends."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import termios
import tty
from typing import Any

from kstui.backends.pod_exec import ExecStream


def terminal_size(fd: int) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return 80, 24
    return size.columns, size.lines


async def bridge(stream: ExecStream, stdin_fd: int = 0, stdout_fd: int = 1) -> int:
    """Run the session to its end; its exit code (StreamLost and the like are raised after the
    terminal is restored)."""
    loop = asyncio.get_running_loop()
    outgoing: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def key_ready() -> None:
        try:
            data = os.read(stdin_fd, 4096)
        except OSError:
            data = b""
        outgoing.put_nowait(("stdin", data))

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
            tty.setraw(stdin_fd, termios.TCSANOW)
        await stream.resize(*terminal_size(stdout_fd))
        loop.add_reader(stdin_fd, key_ready)
        loop.add_signal_handler(signal.SIGWINCH, resized)
        while (output := await stream.next()) is not None:
            os.write(stdout_fd, output[1])
    finally:
        loop.remove_reader(stdin_fd)
        loop.remove_signal_handler(signal.SIGWINCH)
        signal.signal(signal.SIGWINCH, old_winch)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
    return stream.exit_code()

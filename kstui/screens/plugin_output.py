"""A background plugin's output pane (imported when a plugin first runs in the background:
the exec pane it builds on is not for the first frame)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal

from kstui.backends.pod_exec import STDERR, STDOUT
from kstui.plugins import Plugin
from kstui.screens.command_output import OutputPane
from kstui.screens.plugin_spawn import spawn


class PluginOutputScreen(OutputPane):
    """A background plugin's pane: the program's stdout and stderr, then its exit code.
    Leaving the pane stops the program (SIGTERM to its process group)."""

    def __init__(self, plugin: Plugin, argv: list[str], env: dict[str, str]) -> None:
        self.plugin, self.argv, self.env = plugin, argv, env
        self.process: asyncio.subprocess.Process | None = None
        super().__init__(f"$ {shlex.join(argv)}  ·  plugin {plugin.name}")

    async def produce(self) -> int:
        self.process = process = await spawn(self.plugin, self.argv, self.env, piped=True)
        try:

            async def pump(stream: asyncio.StreamReader | None, which: int) -> None:
                while stream is not None and (chunk := await stream.read(1 << 16)):
                    self.feed(which, chunk)

            await asyncio.gather(pump(process.stdout, STDOUT), pump(process.stderr, STDERR))
            return await process.wait()
        finally:
            if process.returncode is None:  # the pane was left: the program goes with it
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)

"""A plugin's program started: its arguments as they are (no shell), a missing program said."""

from __future__ import annotations

import asyncio
import os

from kstui.backends.errors import KstuiError
from kstui.plugins import Plugin


async def spawn(
    plugin: Plugin, argv: list[str], env: dict[str, str], *, piped: bool
) -> asyncio.subprocess.Process:
    """The program, its arguments as they are (no shell); a missing program is said."""
    pipe = asyncio.subprocess.PIPE if piped else None
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL if piped else None,
            stdout=pipe,
            stderr=pipe,
            env={**os.environ, **env},
            start_new_session=piped,  # a background program is stopped with its children
        )
    except OSError as error:
        raise KstuiError(
            f"plugin {plugin.name}: cannot run {argv[0]}",
            error.strerror or str(error),
            f"fix plugins.{plugin.name}.command in the config",
        ) from None

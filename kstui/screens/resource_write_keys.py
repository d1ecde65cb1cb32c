"""The write keys of a resource list (delete, scale, restart, edit): each runs its write
(resource_writes.py) in an exclusive "write" worker of the screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

if TYPE_CHECKING:
    from kstui.screens.resource_writes import ResourceWrites


class WriteKeys:
    """The `action_*` of the write keys, for a screen that has `writes`."""

    writes: ResourceWrites

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_delete(self) -> None:
        await self.writes.delete()

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_scale(self) -> None:
        await self.writes.scale()

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_restart(self) -> None:
        await self.writes.restart()

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_edit(self) -> None:
        await self.writes.edit()

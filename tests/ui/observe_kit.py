"""What the Observe tests share (pilot tests and snapshots): the app opened on the section,
waiting for a level to be shown, and moving to or opening a row by its name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.config import Config
from kstui.screens.observe import ObserveScreen
from kstui.screens.observe_chart import ChartPane
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable
from tests.ui.conftest import wait_until


def observe_app(
    kubeconfig: Path,
    context: str,
    cache_dir: Path,
    config: Config | None = None,
    *,
    namespace: str | None = None,
    frozen_now: float | None = None,
) -> KstuiApp:
    """The app opened on Observe (`--screen observe`) through `context`; its namespace the
    context's own unless given."""
    loaded = load_kubeconfig(str(kubeconfig))
    return build_app(
        AppSettings(
            loaded,
            context,
            loaded.context(context).namespace if namespace is None else namespace,
            config=config or Config(),
            screen="observe",
            frozen_now=frozen_now,
            cache_dir=cache_dir,
        )
    )


async def drawn_level(pilot: Pilot[Any], crumb: str, user: str = "admin") -> ObserveScreen:
    """The level `crumb` once its rows, its user and its chart are shown, the prompt's cursor
    still (what a snapshot takes)."""

    def ready() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, ObserveScreen)
            and screen.place.crumb == crumb
            and screen.loaded
            and screen.query_one(ContextBar).user == user
        )

    await wait_until(pilot, ready, crumb, timeout=20)
    screen = pilot.app.screen
    assert isinstance(screen, ObserveScreen)
    chart = screen.query_one(ChartPane)
    await wait_until(pilot, lambda: chart.state not in ("empty", "loading"), "its chart")
    await pilot.pause()
    for prompt in screen.query(Prompt):
        prompt.cursor_blink = False
    return screen


def move_to_row(screen: ObserveScreen, name: str) -> None:
    """The cursor on the row whose first cell is `name`."""
    table = screen.query_one(ResourceTable)
    key = next(k for k in table.visible_keys if (row := table.row(k)) and row.cells[0] == name)
    assert table.move_cursor_to(key)


async def open_row(pilot: Pilot[Any], screen: ObserveScreen, name: str) -> None:
    """Enter on the row `name`."""
    move_to_row(screen, name)
    await pilot.press("enter")

"""The first frame's path (issue 18): the app opens straight on its section's screen, and that
screen's first render reaches the terminal. Not timed: what is counted is work the first frame
used to wait for or throw away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.console import RenderableType
from textual.app import App
from textual.screen import Screen

from kstui.app import KstuiApp
from kstui.screens.resources import ResourcesScreen
from tests.ui.conftest import loaded


async def test_the_app_opens_on_its_section_without_textuals_default_screen_or_a_mode_switch(
    make_app: Callable[..., KstuiApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual's default screen was composed, then switched away from: switch_mode holds every
    frame back 50 ms (delay_update) and re-parses and re-applies all CSS once more."""
    made: list[Screen[Any]] = []
    delayed: list[float] = []
    default_screen = App.get_default_screen
    delay_update = App.delay_update

    def counted_default(self: App[Any]) -> Screen[Any]:
        made.append(screen := default_screen(self))
        return screen

    def counted_delay(self: App[Any], delay: float = 0.05) -> None:
        delayed.append(delay)
        delay_update(self, delay)

    monkeypatch.setattr(App, "get_default_screen", counted_default)
    monkeypatch.setattr(App, "delay_update", counted_delay)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ResourcesScreen)
        assert app.current_mode == "resources"
        assert app.screen_stack == [app.screen]
        assert made == []
        assert delayed == []
        await app.run_action("section('workspaces')")  # the other sections still open...
        assert app.current_mode == "workspaces"
        await app.run_action("section('resources')")  # ...and the first one comes back
        assert app.screen_stack == [app.screen]
        assert isinstance(app.screen, ResourcesScreen)


async def test_the_first_render_of_the_first_screen_is_drawn_not_thrown_away(
    make_app: Callable[..., KstuiApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mode's first screen is mounted while the app holds every frame (its start is one
    batch): its first render, the whole screen, was thrown away and made again after."""
    renders: list[tuple[str, bool]] = []
    display = App._display

    def counted(self: App[Any], screen: Screen[Any], renderable: RenderableType | None) -> None:
        if renderable is not None:
            renders.append((type(screen).__name__, bool(self._batch_count)))
        display(self, screen, renderable)

    monkeypatch.setattr(App, "_display", counted)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
    assert renders[0] == ("ResourcesScreen", False)

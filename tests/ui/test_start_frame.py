"""The first frame's path (issue 18): the app opens straight on its section's screen. Not timed:
what is counted is work the first frame used to wait for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen

from kstui.app import KstuiApp
from kstui.screens.resources import ResourcesScreen
from tests.ui.conftest import loaded


async def test_the_app_opens_on_its_section_without_a_default_screen_or_a_mode_switch(
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

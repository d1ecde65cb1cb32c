"""At 80x24 what matters stays on screen: the current view and its count in the breadcrumbs,
RESTARTS and AGE in an all-namespaces pod list (NAMESPACE is cut before NAME)."""

from __future__ import annotations

from collections.abc import Callable

from kstui.app import KstuiApp
from kstui.screens.resources import ResourcesScreen
from tests.ui.conftest import loaded, wait_until

SIZE = (80, 24)


async def test_all_namespaces_pods_keep_restarts_and_age_and_longer_names(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("A")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ResourcesScreen) and app.screen.namespace == "",
            "all namespaces",
        )
        table = await loaded(pilot)
        await wait_until(pilot, lambda: table.columns[0].name == "NAMESPACE", "NAMESPACE column")
        await pilot.pause(0.2)
        width = table.scrollable_content_region.width
        assert width <= 80
        assert table.virtual_size.width <= width, "nothing hidden behind a sideways scroll"
        header = table.render_line(0).text
        assert "RESTARTS" in header
        assert "AGE" in header
        shown = [
            (table.row(key), table.render_line(1 + y).text)
            for y, key in enumerate(
                table.visible_keys[: table.scrollable_content_region.height - 1]
            )
        ]
        name, line = max(
            ((row.cells[1], line) for row, line in shown if row), key=lambda p: len(p[0])
        )
        assert len(name) > 20, name
        assert name[:20] in line, (name, line)  # cut to 16 ("…" included) before

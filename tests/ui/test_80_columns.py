"""At 80x24 what matters stays on screen: the current view and its count in the breadcrumbs,
RESTARTS and AGE in an all-namespaces pod list (NAMESPACE is cut before NAME)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget

from kstui.app import KstuiApp
from kstui.screens.containers import ContainersScreen
from kstui.screens.resources import ResourcesScreen
from tests.ui.conftest import drawn, loaded, move_to, table, type_text, wait_until
from tests.ui.test_workspaces import open_workspace

SIZE = (80, 24)


def on_screen(widget: Widget) -> str:
    """The widget's first line as drawn (padding stripped), not the text it was given."""
    return widget.render_line(0).text.strip()


async def test_breadcrumbs_keep_the_current_view_and_its_count_several_steps_deep(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("colon")
        await type_text(pilot, "deploy")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2, "deployments")
        await loaded(pilot)
        await move_to(pilot, "api")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 3, "pods of api")
        pods = await loaded(pilot)
        await pilot.pause(0.2)
        line = on_screen(app.screen.query_one("#crumbs"))
        assert len(line) <= 78
        assert line.startswith("… › "), line  # the oldest steps gave way
        assert "pods(payments) -l app=api" in line, line
        assert line.endswith(f"[{pods.row_count}]"), line
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainersScreen), "containers")
        await pilot.pause(0.2)
        line = on_screen(app.screen.query_one("#crumbs"))
        assert len(line) <= 78
        assert line.endswith(f"› containers[{table(pilot).row_count}]"), line


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
        # The longest name of the list in view (the rows above it depend on what other tests
        # of this run left in the shared sandbox).
        keys = table.visible_keys
        longest = max(keys, key=lambda key: len(row.cells[1]) if (row := table.row(key)) else 0)
        assert table.move_cursor_to(longest)
        await pilot.pause(0.2)
        top = round(table.scroll_y)
        shown = [
            (table.row(key), table.render_line(1 + y).text)
            for y, key in enumerate(keys[top : top + table.scrollable_content_region.height - 1])
        ]
        name, line = max(
            ((row.cells[1], line) for row, line in shown if row), key=lambda p: len(p[0])
        )
        assert len(name) > 20, name
        assert name[:20] in line, (name, line)  # cut to 16 ("…" included) before


async def test_a_workspace_header_wraps_rather_than_lose_its_counts(make_host: Callable) -> None:
    app = make_host()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_workspace(pilot, "acme-retail")
        await wait_until(pilot, lambda: "members" in str(detail.crumbs()), "counted")
        crumbs = detail.query_one("#crumbs")
        await pilot.pause(0.2)
        shown = drawn(crumbs)
        assert "3 projects · 3 members" in shown, shown

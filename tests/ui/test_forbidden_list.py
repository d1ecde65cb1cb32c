"""A list the user may not read says what is denied (verb, resource, namespace), stops saying
it is loading, and stays readable at 80 columns: the demo's tenant (alice, shop-prod only)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget

from kstui.app import KstuiApp
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.resource_table import ResourceTable
from tests.ui.conftest import wait_until

HINT = "ask a cluster admin for this permission, or switch to a context that has it"


def table_text(screen: ResourcesScreen) -> str:
    """The table's lines as drawn, joined: what the user can read there."""
    table = screen.query_one(ResourceTable)
    lines = (table.render_line(y).text for y in range(table.size.height))
    return " ".join(text.strip() for text in lines if text.strip())


def line(screen: ResourcesScreen, selector: str | type[Widget]) -> str:
    return screen.query_one(selector).render_line(0).text


async def test_a_forbidden_list_says_what_is_denied_and_stops_loading(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app("tenant", "payments", kind="secrets")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        denied = "forbidden: alice cannot list secrets in namespace payments"
        await wait_until(pilot, lambda: denied in table_text(screen), "the denial", timeout=15)
        assert HINT in table_text(screen), "the hint is wrapped, not cut at 80 columns"
        assert line(screen, "#crumbs").strip().endswith("secrets(payments)[—]")
        bar = line(screen, ContextBar)
        assert "⚠ forbidden: alice" in bar
        assert "loading" not in bar
        assert bar.rstrip().endswith("…"), "too long for 80 columns: cut, and marked as cut"
        await pilot.press("A")  # all namespaces: a cluster-wide list, denied too
        await wait_until(
            pilot,
            lambda: "alice cannot list secrets cluster-wide" in table_text(app.screen),
            "the cluster-wide denial",
            timeout=15,
        )
        assert isinstance(app.screen, ResourcesScreen)
        assert "loading" not in line(app.screen, ContextBar)
        assert line(app.screen, "#crumbs").strip().endswith("secrets(all)[—]")

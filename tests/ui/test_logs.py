"""The logs key: which container of a several-container pod, what `l` means off a pod, and a
title that says "following" only while the view really follows."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList

from kstui.screens.container_pick import ContainerPickModal
from kstui.screens.logs import LogsScreen
from kstui.widgets.log_lines import LogLines
from tests.ui.conftest import loaded, move_to, wait_until

POD = "reviews-v1-5d8c9f7b6c-2xk7p"  # containers: reviews, istio-proxy


def title_of(screen: Any) -> str:
    return str(screen.query_one("#title").render())


def errors(app: Any) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == "error"]


async def pick(pilot: Any, app: Any, option: int) -> LogsScreen:
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(app.screen, ContainerPickModal), "the picker")
    options = app.screen.query_one(OptionList)
    assert [options.get_option_at_index(i).id for i in range(options.option_count)][:2] == [
        "reviews",
        "istio-proxy",
    ]
    options.highlighted = option
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
    return app.screen


async def test_logs_of_a_pod_with_several_containers_asks_which(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(namespace="shop-prod")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, POD)
        screen = await pick(pilot, app, 1)
        assert screen.container == "istio-proxy"
        assert "[istio-proxy]" in title_of(screen)
        await wait_until(pilot, lambda: screen.line_count >= 5, "istio-proxy's lines")
        await pilot.pause(0.2)
        assert not errors(app), errors(app)
        assert "stream ended" not in title_of(screen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LogsScreen), "back")

        screen = await pick(pilot, app, 2)  # all containers
        assert screen.all_of == ["reviews", "istio-proxy"]

        def both() -> bool:
            lines = [plain for _row, plain in screen.shown]
            return any(line.startswith("reviews     │ ") for line in lines) and any(
                line.startswith("istio-proxy │ ") for line in lines
            )

        await wait_until(pilot, both, "lines of both containers, each with its name")
        assert not errors(app), errors(app)


async def test_logs_of_a_single_container_pod_open_directly(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        assert app.screen.container  # named: the server never has to guess


async def test_logs_on_a_deployment_follow_every_pod_of_its_selector(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(namespace="shop-prod", kind="deployments")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "reviews-v1")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        screen = app.screen
        assert screen.scopes[0][1].selector  # the deployment's selector, not one pod
        assert "-l " in title_of(screen)
        await wait_until(pilot, lambda: screen.line_count >= 5, "lines of its pods")
        assert all(" │ " in plain for _row, plain in screen.shown)  # pod/container prefix


async def test_log_title_says_paused_while_scrolled_up(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 20)) as pilot:
        await loaded(pilot)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        screen = app.screen
        log = screen.query_one(LogLines)
        await wait_until(pilot, lambda: log.max_scroll_y > 5, "more lines than the screen")
        assert title_of(screen).endswith("· following")
        log.scroll_home(animate=False, immediate=True)
        await wait_until(pilot, lambda: "paused (scrolled up)" in title_of(screen), "paused")
        assert "following" not in title_of(screen)
        assert "end/G resumes" in title_of(screen)
        await pilot.press("G")
        await wait_until(pilot, lambda: title_of(screen).endswith("· following"), "following")
        await pilot.press("f")
        await wait_until(pilot, lambda: "paused (f)" in title_of(screen), "paused by f")
        await wait_until(
            pilot,
            lambda: screen.held > 0 and f"paused (f): {screen.held} new lines" in title_of(screen),
            "the lines that arrive while paused, counted",
        )
        shown_while_paused = len(screen.shown)
        await pilot.pause(0.3)
        assert len(screen.shown) == shown_while_paused  # held, not shown
        held = screen.held
        await pilot.press("f")
        await wait_until(pilot, lambda: title_of(screen).endswith("· following"), "resumed")
        said = [n.message for n in app._notifications]
        assert any(m.startswith("following: ") and int(m.split()[1]) >= held for m in said)
        assert len(screen.shown) > shown_while_paused


async def test_wrap_off_scrolls_sideways_and_wrap_on_folds(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(kind="deployments")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "checkout")  # JSON lines, wider than 80 columns
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        screen = app.screen
        log = screen.query_one(LogLines)
        await wait_until(pilot, lambda: log.max_scroll_x > 0, "lines wider than the view")
        await pilot.press("right", "right")
        await wait_until(pilot, lambda: log.scroll_x > 0, "scrolled sideways")
        assert len(log.rows) == len(log.entries)  # one row a line
        await pilot.press("W")
        await wait_until(pilot, lambda: len(log.rows) > len(log.entries), "folded rows")
        assert log.max_scroll_x == 0
        assert max(row.cell_len for row in log.rows) <= log.scrollable_content_region.width

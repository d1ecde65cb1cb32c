"""A command or filter that cannot be carried out says why, and leaves the user where they were:
an unknown kind, a namespace that does not exist, a bad label selector, a filter that is not a
regular expression."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from kstui.app import KstuiApp
from kstui.screens.resources import ResourcesScreen
from tests.ui.conftest import loaded, type_text, wait_until


def messages(app: KstuiApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def command(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("colon")
    await type_text(pilot, text)
    await pilot.press("enter")


def crumbs(app: KstuiApp) -> str:
    return str(app.screen.query_one("#crumbs").render())


async def test_an_unknown_kind_is_refused_with_the_closest_kinds(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await loaded(pilot)
        await command(pilot, "foobar")
        await wait_until(pilot, lambda: messages(app), "a message")
        assert any('unknown resource type "foobar"' in m for m in messages(app))
        assert len(app.screen_stack) == 1, "stays on the list it was on"
        app._notifications.clear()
        await command(pilot, "deploymnt")
        await wait_until(pilot, lambda: messages(app), "a message")
        assert any("did you mean deployment" in m for m in messages(app)), messages(app)
        assert len(app.screen_stack) == 1
        assert isinstance(app.screen, ResourcesScreen)
        assert app.screen.target.kind == "pods"


async def test_a_namespace_that_does_not_exist_is_refused(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await loaded(pilot)
        await command(pilot, "ns doesnotexist")
        await wait_until(pilot, lambda: messages(app), "a message")
        assert any("doesnotexist" in m and "does not exist" in m for m in messages(app))
        assert app.session.namespace == "payments"
        app._notifications.clear()
        await command(pilot, "ns kube-system")
        await wait_until(pilot, lambda: app.session.namespace == "kube-system", "switched")
        await pilot.pause(0.2)
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_a_bad_label_selector_shows_the_servers_reason(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await loaded(pilot)
        await command(pilot, "po -l !!")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2, "the list")
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        table = screen.query_one("#table")
        await wait_until(pilot, lambda: "BadRequest" in table._empty_message, "the failure")
        # the server's reason, not a bare BadRequest
        assert "unable to parse requirement" in table._empty_message, table._empty_message


async def test_a_filter_that_is_not_a_regex_says_it_matches_literally(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("slash")
        await type_text(pilot, "[")
        await pilot.pause(0.1)
        assert "not a regex: unterminated character set" in crumbs(app)
        assert "matching literally" in crumbs(app)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert "matching literally" in crumbs(app)
        await pilot.press("slash")
        await pilot.press("backspace")
        await type_text(pilot, "api-.*")
        await pilot.pause(0.1)
        assert "not a regex" not in crumbs(app)


async def test_kind_flag_naming_no_kind_says_so_and_lists_pods(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app(kind="foobar")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: messages(app), "a message")
        assert any('unknown resource type "foobar"' in m for m in messages(app))
        rows = await loaded(pilot)
        assert isinstance(app.screen, ResourcesScreen)
        assert app.screen.kind is not None
        assert app.screen.kind.resource == "pods"
        assert rows.row_count > 0


async def test_a_namespace_that_cannot_be_checked_is_switched_with_a_warning(
    make_app: Callable[..., KstuiApp],
) -> None:
    app = make_app("tenant", "payments")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause(0.5)
        await command(pilot, "ns elsewhere")
        await wait_until(pilot, lambda: app.session.namespace == "elsewhere", "switched")
        assert any("could not check" in m and "elsewhere" in m for m in messages(app))

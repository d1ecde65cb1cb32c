"""The text views (describe, YAML, help): revealed Secret values, and `/` search."""

from __future__ import annotations

import base64

import yaml
from textual.containers import VerticalScroll
from textual.widgets import Footer, Input, Static

from kstui.screens.help import HelpModal
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.plain import Plain
from tests.ui.conftest import loaded, move_to, wait_until

BINARY = bytes(range(256)) * 5  # 1280 bytes, not text


async def _secret(kube, namespace: str) -> None:
    await kube.create(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
    )
    await kube.create(
        f"/api/v1/namespaces/{namespace}/secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db"},
            "data": {
                "password": base64.b64encode(b"hunter2 [bold]x[/bold] \x1b]0;t\x07").decode(),
                "cert.der": base64.b64encode(BINARY).decode(),
            },
        },
    )


def _body(screen: TextViewScreen) -> str:
    shown = screen.query_one("#body", Static).content  # a Syntax (YAML) or a Text
    return str(getattr(shown, "code", None) or getattr(shown, "plain", shown))


async def test_x_reveals_secret_values_decoded_and_says_so(make_app, kube) -> None:
    await _secret(kube, "ui-reveal")
    app = make_app(namespace="ui-reveal", kind="secrets")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "db")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "yaml")
        screen = app.screen
        title = screen.query_one("#title", Plain)
        assert "values revealed" not in str(title.render())
        await pilot.press("x")
        assert "values revealed" in str(title.render())
        assert "yaml Secret ui-reveal/db" in str(title.render())
        data = yaml.safe_load(screen.render_text(screen.revealed))["data"]
        assert data["password"] == "hunter2 [bold]x[/bold] \x1b]0;t\x07"
        assert data["cert.der"].startswith("<binary, 1.2 KiB: 00 01 02 03")
        shown = _body(screen)
        assert "hunter2 [bold]x[/bold]" in shown  # literal, not markup
        assert "\x1b" not in shown
        assert "\x07" not in shown
        await pilot.press("x")
        assert "values hidden" in str(title.render())
        assert "hunter2" not in screen.render_text(screen.revealed)


def _status(screen) -> str:
    return str(screen.query_one("#find-status", Static).content)


async def test_slash_finds_in_describe_and_yaml(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "describe")
        screen = app.screen
        scroller = screen.query_one(VerticalScroll)
        await pilot.press("j", "j")
        assert scroller.scroll_y == 2
        await pilot.press("k")
        assert scroller.scroll_y == 1
        await pilot.press("G")
        assert scroller.scroll_y == scroller.max_scroll_y > 0
        await pilot.press("g")
        assert scroller.scroll_y == 0
        await pilot.press("slash", "[")  # `/` searches here: not the app's list filter
        assert screen.query_one("#find-input", Input).value == "["
        await pilot.press("enter")
        assert "invalid regex" in _status(screen)
        assert screen.query_one("#find-input", Input).has_focus  # stays open to fix it
        await pilot.press("backspace", *"Ev.nts?", "enter")
        assert screen.search_found
        assert "match 1 of" in _status(screen)
        status = screen.query_one("#find-status").region
        assert status.height == 1
        assert not status.overlaps(screen.query_one(Footer).region)  # seen, not under the footer
        first = screen.search_found[0][0]
        assert scroller.scroll_y <= first < scroller.scroll_y + scroller.size.height
        assert scroller.scroll_y > 0  # Events is at the bottom of a pod's describe
        await pilot.press("slash", "ctrl+u", *"e", "enter")
        count = len(screen.search_found)
        assert count > 2
        await pilot.press("n", "n")
        assert f"match 3 of {count}" in _status(screen)
        await pilot.press("N", "N", "N")
        assert f"match {count} of {count}" in _status(screen)
        await pilot.press("escape")  # clears the matches, stays
        assert screen.search_pattern is None
        assert app.screen is screen
        assert not screen.query_one("#find-bar").display or not _status(screen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, TextViewScreen), "back")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "yaml")
        screen = app.screen
        await pilot.press("slash", *"^kind", "enter")
        assert len(screen.search_found) == 1
        assert "match 1 of 1" in _status(screen)


async def test_slash_finds_in_help_and_j_k_scroll_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpModal), "help")
        screen = app.screen
        scroller = screen.query_one(VerticalScroll)
        await pilot.press("j")
        assert scroller.scroll_y == 1
        await pilot.press("G")
        assert scroller.scroll_y == scroller.max_scroll_y > 1
        await pilot.press("k", "g")
        assert scroller.scroll_y == 0
        await pilot.press("slash", *"ctx", "enter")  # in the Commands part, below the fold
        assert "match 1 of 1" in _status(screen)
        line = screen.search_found[0][0]
        assert scroller.scroll_y <= line < scroller.scroll_y + scroller.size.height
        await pilot.press("slash", "ctrl+u", "(", "enter")
        assert "invalid regex" in _status(screen)
        await pilot.press("escape", "escape")  # the find line, then the matches
        assert app.screen is screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpModal), "closed")

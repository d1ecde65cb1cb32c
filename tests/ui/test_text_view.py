"""The text views (describe, YAML, help): revealed Secret values, and `/` search."""

from __future__ import annotations

import base64

import yaml
from textual.widgets import Static

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

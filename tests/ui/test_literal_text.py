"""Server and kubeconfig text shows literally: never as markup, never as terminal controls.
(The whole app on a pty, through every view, is tests/ui/test_hostile_data.py.)"""

from __future__ import annotations

import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import yaml
from textual.app import App, ComposeResult
from textual.widgets._toast import Toast

from kstui.backends import describe
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.plain import Plain
from tests.conftest import RunningSandbox
from tests.ui.conftest import wait_until

HOSTILE = (
    "x \x1b]52;c;cHduZWQ=\x07 \x1b[2J \x9b31m \u202eevil\u200b [link=https://e.example]y[/link]"
)
SHOWN = "x ␛]52;c;cHduZWQ=␇ ␛[2J \\x9b31m \\u202eevil\\u200b [link=https://e.example]y[/link]"


def actionable(text: str) -> list[str]:
    """Characters a terminal would act on or not show (newlines aside)."""
    return [
        ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
    ]


async def test_a_notification_shows_the_servers_words_literally(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    message = "a container name must be specified, choose one of: [reviews istio-proxy]"
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        app.screen.notify(f"{message}\n{HOSTILE}", title="log \x1b]0;t\x07", severity="error")
        await wait_until(pilot, lambda: app.screen.query(Toast), "a toast")
        await pilot.pause()
        shown = app.screen.query_one(Toast).render().plain
    assert shown == f"log ␛]0;t␇\n{message}\n{SHOWN}"


async def test_context_bar_names_from_a_kubeconfig_are_inert(
    make_app,
    sandbox: RunningSandbox,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    for entry in config["contexts"]:
        if entry["name"] == "host":
            entry["name"] = f"host {HOSTILE}"
    config["current-context"] = f"host {HOSTILE}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    app = make_app(context=f"host {HOSTILE}", kubeconfig=kubeconfig)
    async with app.run_test(size=(400, 30)) as pilot:
        bar = app.screen.query_one(ContextBar)
        await wait_until(pilot, lambda: bar.context.startswith("host"), "the context shown")
        await pilot.pause()
        shown = bar.render().plain
    assert f"host {SHOWN}" in shown
    assert actionable(shown) == []


class PlainHost(App[None]):
    def compose(self) -> ComposeResult:
        yield Plain(HOSTILE, id="multi")
        yield Plain(f"one\n{HOSTILE}", id="line", one_line=True)


async def test_plain_text_widgets_render_data_inertly() -> None:
    app = PlainHost()
    async with app.run_test() as pilot:
        multi, line = app.query_one("#multi", Plain), app.query_one("#line", Plain)
        assert str(multi.render()) == SHOWN
        assert str(line.render()) == f"one␤{SHOWN}"
        multi.update(f"{HOSTILE}\nsecond line")  # update() is sanitized too
        await pilot.pause()
        assert str(multi.render()) == f"{SHOWN}\nsecond line"


class ViewHost(App[None]):
    pass


async def test_describe_and_yaml_views_are_inert_and_quick_with_100k_values() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big", "annotations": {"hostile": HOSTILE, "big": "B" * 100_000}},
        "data": {"long": "word " * 20_000, "lines": "line\n" * 2_000},
    }
    views = {
        # PyYAML escapes C0 and C1 itself, but not bidi or zero-width characters
        "yaml": (lambda _reveal: describe.to_yaml(obj), "yaml", "\\u202eevil\\u200b [link="),
        "describe": (lambda _reveal: describe.describe(obj, [], 0), "", f"hostile: {SHOWN}"),
    }
    app = ViewHost()
    async with app.run_test(size=(200, 40)) as pilot:
        for title, (render, language, expected) in views.items():
            started = time.perf_counter()
            await app.push_screen(TextViewScreen(title, render, language=language))
            await pilot.pause()
            opened = time.perf_counter() - started
            body = app.screen.query_one("#body")
            lines = body.render_lines(body.region.reset_offset)  # what the terminal gets
            drawn = "".join(segment.text for strip in lines for segment in strip)
            assert actionable(drawn) == [], title
            assert expected in drawn, title
            assert opened < 10, f"{title} took {opened:.1f}s to open"  # measured: ~0.2 s
            await pilot.press("c")  # copy all: what is shown, so a paste carries no controls
            assert actionable(app.clipboard) == [], title
            app.pop_screen()
            await pilot.pause()


def test_a_startup_error_quotes_kubeconfig_names_inertly(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    config["contexts"][0]["name"] = f"ctx {HOSTILE}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [sys.executable, "-m", "kstui", "--kubeconfig", str(kubeconfig), "--context", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "ctx x ␛]52;c;" in result.stderr
    assert actionable(result.stderr) == []

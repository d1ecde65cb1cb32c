"""Pilot fixtures: the real app on the real sandbox, through a real kubeconfig."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.config import Config
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client


@pytest.fixture
def make_app(sandbox: RunningSandbox, tmp_path: Path) -> Callable[..., KstuiApp]:
    def make(
        context: str = "host",
        namespace: str = "payments",
        *,
        kind: str = "pods",
        readonly: bool = False,
        config: Config | None = None,
        kubeconfig: Path | None = None,
        frozen_now: float | None = None,
    ) -> KstuiApp:
        settings = AppSettings(
            load_kubeconfig(str(kubeconfig or sandbox.kubeconfig)),
            context,
            namespace,
            config=config or Config(),
            readonly=readonly,
            kind=kind,
            frozen_now=frozen_now,
            cache_dir=tmp_path / "cache",
        )
        return build_app(settings)

    return make


def workspaces_app(
    kubeconfig: Path,
    context: str,
    cache_dir: Path,
    frozen_now: float | None = None,
    config: Config | None = None,
) -> KstuiApp:
    """The real app, made as the CLI makes it, opened on the Workspaces section."""
    loaded = load_kubeconfig(str(kubeconfig))
    return build_app(
        AppSettings(
            loaded,
            context,
            loaded.context(context).namespace,
            config=config or Config(),
            screen="workspaces",
            frozen_now=frozen_now,
            cache_dir=cache_dir,
        )
    )


MakeHost = Callable[..., KstuiApp]


@pytest.fixture
def make_host(sandbox: RunningSandbox, tmp_path: Path) -> Callable[..., KstuiApp]:
    def make(
        context: str = "host", kubeconfig: Path | None = None, config: Config | None = None
    ) -> KstuiApp:
        return workspaces_app(
            kubeconfig or sandbox.kubeconfig, context, tmp_path / "cache", config=config
        )

    return make


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], object], what: str, timeout: float = 10.0
) -> None:
    """Let the app run until `predicate()` holds (data arrives over real HTTP)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def footer_keys_shown(pilot: Pilot[Any]) -> None:
    """The screen's footer shows its keys (they come after its content, and a modal opened
    then shows that footer, dimmed, under it: a snapshot waits for them)."""
    from textual.widgets._footer import FooterKey

    def laid_out() -> bool:
        keys = pilot.app.screen.query(FooterKey)
        return bool(keys) and all(key.region.width for key in keys if key.display)

    await wait_until(pilot, laid_out, "the footer's keys")
    await pilot.pause()  # and drawn: a screen a modal covers shows what it last drew


def drawn(widget: Widget) -> str:
    """A widget's lines as drawn on screen (padding stripped, joined by spaces): what a user
    reads, wrapped or cut, not the text it was given."""
    return " ".join(widget.render_line(y).text.strip() for y in range(widget.size.height))


def table(pilot: Pilot[Any]) -> ResourceTable:
    return pilot.app.screen.query_one(ResourceTable)


async def loaded(pilot: Pilot[Any], minimum: int = 1) -> ResourceTable:
    """The current resource screen once its list is complete."""
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, ResourcesScreen)
            and pilot.app.screen.loaded
            and table(pilot).row_count >= minimum
        ),
        "rows",
    )
    return table(pilot)


async def move_to(pilot: Pilot[Any], name: str) -> None:
    """Put the cursor on the row whose first cell is `name`."""
    screen = pilot.app.screen
    assert isinstance(screen, ResourcesScreen)
    key = next(k for k, (_ns, n) in screen.names.items() if n == name)
    assert table(pilot).move_cursor_to(key)
    await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    keys = {
        " ": "space",
        "/": "slash",
        ":": "colon",
        "!": "exclamation_mark",
        "-": "minus",
        "=": "equals_sign",
        "@": "at",
        ".": "full_stop",
    }
    await pilot.press(*(keys.get(ch, ch) for ch in text))


@pytest.fixture
async def kube(sandbox: RunningSandbox):  # type: ignore[no-untyped-def]
    client = sandbox_client(sandbox)
    yield client
    await client.aclose()

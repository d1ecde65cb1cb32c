"""SVG snapshots of the main views at 80x24 and 160x48, on a frozen, seeded sandbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.sandbox.runtime import SandboxOptions
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.prompt import Prompt
from tests.conftest import RunningSandbox, _start
from tests.ui.conftest import footer_keys_shown, loaded, move_to, type_text, wait_until

SMALL = (80, 24)
LARGE = (160, 48)


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """Same seed, same clock, same objects every run: what makes a snapshot stable."""
    running = _start(
        tmp_path_factory.mktemp("frozen"), SandboxOptions(clusters=2, pods=120, frozen=True, seed=7)
    )
    yield running
    running.thread.stop()


@pytest.fixture
def build(frozen: RunningSandbox, tmp_path: Path) -> Callable[..., KstuiApp]:
    def make(namespace: str = "payments", kind: str = "pods", config: Any = None) -> KstuiApp:
        now = frozen.sandbox.clock.now().timestamp()
        return build_app(
            AppSettings(
                load_kubeconfig(str(frozen.kubeconfig)),
                "host",
                namespace,
                kind=kind,
                frozen_now=now,
                cache_dir=tmp_path / "cache",
                **({"config": config} if config is not None else {}),
            )
        )

    return make


async def ready(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    bar = pilot.app.screen.query_one("#context-bar")
    await wait_until(pilot, lambda: bar.user == "admin", "whoami")
    await footer_keys_shown(pilot)
    for prompt in pilot.app.screen.query(Prompt):
        prompt.cursor_blink = False


def shot(
    snap_compare: Any,
    app: KstuiApp,
    size: tuple[int, int],
    then: Callable[[Pilot[Any]], Awaitable[None]] | None = None,
) -> bool:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        if then is not None:
            await then(pilot)
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=size, run_before=run_before))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_pods(snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]) -> None:
    assert shot(snap_compare, build(), size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_deployments_all_namespaces(
    snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]
) -> None:
    assert shot(snap_compare, build(namespace="", kind="deploy"), size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_workspacetemplates(
    snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]
) -> None:
    assert shot(snap_compare, build(kind="workspacetemplates"), size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_describe(snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]) -> None:
    async def describe(pilot: Pilot[Any]) -> None:
        await pilot.press("d")
        await wait_until(
            pilot, lambda: not isinstance(pilot.app.screen, ResourcesScreen), "describe"
        )

    assert shot(snap_compare, build(kind="deploy"), size, describe)


def test_yaml(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def yaml_view(pilot: Pilot[Any]) -> None:
        await move_to(pilot, "checkout")
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ResourcesScreen), "yaml")

    assert shot(snap_compare, build(kind="deploy"), SMALL, yaml_view)


def test_help(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ResourcesScreen), "help")

    assert shot(snap_compare, build(), SMALL, open_help)


def test_delete_confirmation(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def delete(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+d")
        await wait_until(
            pilot, lambda: not isinstance(pilot.app.screen, ResourcesScreen), "confirm"
        )

    assert shot(snap_compare, build(), SMALL, delete)


def test_command_completion(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def command(pilot: Pilot[Any]) -> None:
        await pilot.press("colon")
        await type_text(pilot, "deplo")
        prompt = pilot.app.screen.query_one(Prompt)
        await wait_until(pilot, lambda: bool(prompt._suggestion), "suggestion")

    assert shot(snap_compare, build(), SMALL, command)


def test_filter(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def filter_rows(pilot: Pilot[Any]) -> None:
        await pilot.press("slash")
        await type_text(pilot, "cache|db")
        await pilot.press("enter")

    assert shot(snap_compare, build(), SMALL, filter_rows)

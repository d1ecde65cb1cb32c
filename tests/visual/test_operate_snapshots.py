"""Snapshots of the operate views on the frozen sandbox: the container picker of `ctrl+e` and
a command's output pane with its exit code, `:pf`, and the plugins in `?` help."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from kstui.app import KstuiApp
from kstui.backends.port_forward import PortForward
from kstui.config import Config
from kstui.plugins import parse_plugins
from kstui.screens.container_pick import ContainerPickModal
from kstui.screens.help import HelpModal
from kstui.screens.pod_operate import CommandModal
from kstui.screens.port_forwards import PortForwardsScreen, forwards_of
from kstui.screens.text_view import TextViewScreen
from tests.ui.conftest import move_to, wait_until
from tests.visual.test_snapshots import SMALL, build, frozen, ready, shot  # noqa: F401 (fixtures)

POD = "reviews-v1-5d8c9f7b6c-2xk7p"  # containers: reviews, istio-proxy


async def picker(pilot: Pilot[Any]) -> None:
    await ready(pilot)
    await move_to(pilot, POD)
    await pilot.press("ctrl+e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContainerPickModal), "picker")


def test_run_asks_which_container(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:  # noqa: F811
    assert shot(snap_compare, build(namespace="shop-prod"), SMALL, picker)


def test_command_output(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:  # noqa: F811
    async def output(pilot: Pilot[Any]) -> None:
        await picker(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandModal), "command")
        pilot.app.screen.query_one(Input).value = "sh -c 'echo one; echo two; nope; exit 2'"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextViewScreen), "output")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: "exit" in str(screen.query_one("#title").render()), "end")

    assert shot(snap_compare, build(namespace="shop-prod"), SMALL, output)


def test_port_forwards(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:  # noqa: F811
    """`:pf` with two forwards (made up, not started: the local ports are fixed), one whose
    pod went away."""

    async def listed(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        forwards = forwards_of(pilot.app)
        web = PortForward(None, "shop-prod", POD, 9080, 9080, local=9080, connections=3)  # type: ignore[arg-type]
        web.bytes_in, web.bytes_out, web.active = 1_572_864, 2_310, 1
        gone = PortForward(None, "shop-prod", "redis-0", 6379, 6379, local=6380)  # type: ignore[arg-type]
        gone.label, gone.connections, gone.bytes_in, gone.bytes_out = "service/redis", 1, 7, 6
        gone.gone = "pod shop-prod/redis-0 is gone"
        forwards.items.extend([web, gone])
        await pilot.press("colon", "p", "f", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PortForwardsScreen), ":pf")
        await pilot.pause()  # the gone one sorts first (by local port): its story under the table
        await pilot.pause()

    assert shot(snap_compare, build(namespace="shop-prod"), SMALL, listed)


PLUGINS = {
    "debug": {
        "key": "shift+d",
        "description": "an ephemeral debug container",
        "kinds": ["pods", "containers"],
        "command": ["kubectl", "--context", "$CONTEXT", "-n", "$NAMESPACE", "debug", "-it",
                    "$NAME", "--image=busybox", "--target=$CONTAINER"],
        "confirm": True,
    },
    "node": {
        "key": "ctrl+t",
        "kinds": ["pods"],
        "command": ["printf", "%s\\n", "$COL-NODE"],
        "background": True,
        "safe": True,
    },
    "images": {  # not for pods: not in their help
        "key": "ctrl+t",
        "kinds": ["deployments"],
        "command": ["kubectl", "get", "$KIND", "$NAME"],
        "background": True,
    },
}  # fmt: skip


def test_plugin_help(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:  # noqa: F811
    """`?` on pods with three plugins configured: the two of pods among the keys (binding id
    `plugin.NAME`) and under Plugins, with how they run and their commands."""

    async def helped(pilot: Pilot[Any]) -> None:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpModal), "help")
        await pilot.press("G")  # the end: Plugins, then Commands
        await pilot.pause()

    app = build(namespace="shop-prod", config=Config(plugins=parse_plugins(PLUGINS)))
    assert shot(snap_compare, app, (100, 30), helped)

"""`:s2i`: the sandbox's S2I/B2I builders in shop-staging (seeded: cart-web-s2i from git,
payments-b2i from a binary, recs-s2i that always fails), each with its newest run's state and
the image it produced; ctrl+e starts a build (an S2iRun the sandbox's operator runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kstui.app import AppSettings, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.screens.pipeline_s2i import S2iScreen
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import wait_until


async def test_the_s2i_command_lists_builders_with_their_last_run_and_image(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    loaded = load_kubeconfig(str(sandbox.kubeconfig))
    app = build_app(AppSettings(loaded, "host", "default", cache_dir=tmp_path / "cache"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("colon", *"s2i", "enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, S2iScreen) and len(app.screen.builders) >= 3,
            "the seeded builders",
        )
        screen = app.screen
        assert isinstance(screen, S2iScreen)
        rows = {r.builder: r for r in screen.builders.values()}
        cart, payments, recs = rows["cart-web-s2i"], rows["payments-b2i"], rows["recs-s2i"]
        assert (cart.namespace, cart.kind, cart.state) == ("shop-staging", "S2I", "Successful")
        assert cart.image.endswith(":" + cart.image.rsplit(":", 1)[-1])
        assert "/" in cart.image
        assert (payments.kind, payments.state) == ("B2I", "Successful")
        assert payments.image
        assert (recs.state, recs.image) == ("Failed", "")
        table = screen.query_one(ResourceTable)
        assert table.row_count == len(screen.builders)
        before = cart.last_run
        table.move_cursor_to(cart.key)
        await pilot.press("ctrl+e")
        await wait_until(
            pilot,
            lambda: screen.builders[cart.key].last_run not in ("", before),
            "the new build listed as the newest run",
            timeout=15,
        )
        started = screen.builders[cart.key]
        assert started.last_run.startswith("cart-web-s2i-")
        assert started.state in ("", "Running", "Successful")
        assert not [n for n in app._notifications if n.severity == "error"]
        await wait_until(pilot, lambda: screen.builders[cart.key].job, "its build Job", timeout=15)
        await pilot.press("l")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "LogsScreen", "the log view")
        logs: Any = app.screen
        await wait_until(pilot, lambda: logs.buffer.received > 0, "the build's lines", timeout=20)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, S2iScreen), "back to the list")
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, S2iScreen), "back")
    client = sandbox_client(sandbox)
    run = await client.get(
        f"/apis/devops.kubesphere.io/v1alpha1/namespaces/shop-staging/s2iruns/{started.last_run}"
    )
    assert run["spec"]["builderName"] == "cart-web-s2i"
    assert run["metadata"]["annotations"]["kubesphere.io/creator"] == "admin"
    await client.aclose()

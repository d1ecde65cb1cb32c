"""`:s2i`: the sandbox's S2I/B2I builders in shop-staging (seeded: cart-web-s2i from git,
payments-b2i from a binary, recs-s2i that always fails), each with its newest run's state and
the image it produced; ctrl+e starts a build (an S2iRun the sandbox's operator runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kstui.app import AppSettings, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.screens.pipeline_s2i import S2iScreen
from kstui.screens.pipeline_s2i_runs import S2iTemplatesScreen
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


async def test_enter_on_a_builder_lists_all_its_runs_newest_first_with_the_image_whole(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    from kstui.screens.pipeline_s2i_runs import S2iRunsScreen

    loaded = load_kubeconfig(str(sandbox.kubeconfig))
    app = build_app(AppSettings(loaded, "host", "default", cache_dir=tmp_path / "cache"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("colon", *"s2i", "enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, S2iScreen) and len(app.screen.builders) >= 3,
            "the seeded builders",
        )
        screen = app.screen
        assert isinstance(screen, S2iScreen)
        cart = next(r for r in screen.builders.values() if r.builder == "cart-web-s2i")
        before = cart.last_run
        table = screen.query_one(ResourceTable)
        table.move_cursor_to(cart.key)
        await pilot.press("ctrl+e")
        await wait_until(
            pilot,
            lambda: screen.builders[cart.key].last_run not in ("", before),
            "the new build",
            timeout=15,
        )
        newest = screen.builders[cart.key].last_run
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, S2iRunsScreen) and len(app.screen.runs) >= 2,
            "the builder's runs",
        )
        runs = app.screen
        assert isinstance(runs, S2iRunsScreen)
        assert runs.order[0] == newest
        assert before in runs.order
        assert all(runs.runs[k].name.startswith("cart-web-s2i-") for k in runs.order)
        seeded = runs.order[-1]  # the seeded run, finished hours ago (the oldest)
        old = runs.runs[seeded]
        assert old.state == "Successful"
        assert old.image.startswith("registry.acme.example/shop/cart-web:")
        assert old.duration_ms(runs.now()) == 3 * 60 * 1000
        runs.query_one(ResourceTable).move_cursor_to(seeded)
        await wait_until(
            pilot,
            lambda: old.image in str(runs.query_one("#detail").render()),
            "the old run's whole image in the detail line",
        )
        runs.query_one(ResourceTable).move_cursor_to(newest)
        await wait_until(pilot, lambda: runs.runs[newest].job, "its build Job", timeout=15)
        await pilot.press("l")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "LogsScreen", "the log view")
        logs: Any = app.screen
        await wait_until(pilot, lambda: logs.buffer.received > 0, "the build's lines", timeout=20)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is runs, "back to the runs")
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is screen, "back to the builders")


async def test_the_s2itemplates_command_lists_templates_with_their_base_images(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:

    loaded = load_kubeconfig(str(sandbox.kubeconfig))
    app = build_app(AppSettings(loaded, "host", "default", cache_dir=tmp_path / "cache"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("colon", *"s2itemplates", "enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, S2iTemplatesScreen) and len(app.screen.templates) >= 3,
            "the seeded templates",
        )
        screen = app.screen
        assert isinstance(screen, S2iTemplatesScreen)
        rows = {r.name: r for r in screen.templates.values()}
        java, nodejs = rows["java"], rows["nodejs"]
        assert (java.framework, java.binary) == ("java", True)
        assert java.base_image == "kubespheredev/java-8-centos7:v3.2.0"
        assert java.images == ("kubespheredev/java-8-centos7:v3.2.0",)
        assert (nodejs.binary, nodejs.description) == (False, "Node.js 8")
        assert screen.query_one(ResourceTable).row_count == len(screen.templates)
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, S2iTemplatesScreen), "back")


async def test_the_builders_list_shows_the_selected_builders_image_whole_at_80x24(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """At 80 columns the IMAGE column is cut; the detail line under the list holds it whole."""
    loaded = load_kubeconfig(str(sandbox.kubeconfig))
    app = build_app(AppSettings(loaded, "host", "default", cache_dir=tmp_path / "cache"))
    async with app.run_test(size=(80, 24)) as pilot:
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
        payments, recs = rows["payments-b2i"], rows["recs-s2i"]
        table = screen.query_one(ResourceTable)
        table.move_cursor_to(payments.key)
        await wait_until(
            pilot,
            lambda: payments.image in str(screen.query_one("#detail").render()),
            "payments-b2i's whole image on the detail line",
        )
        table.move_cursor_to(recs.key)
        await wait_until(
            pilot,
            lambda: "none (failed)" in str(screen.query_one("#detail").render()),
            "recs-s2i: no image, its run failed",
        )


async def test_a_cluster_without_s2i_is_named_not_failed(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    """The member cluster serves no S2I kinds: a 404 there is a fact, said in words."""
    running = fresh_sandbox(clusters=2)
    loaded = load_kubeconfig(str(running.kubeconfig))
    app = build_app(AppSettings(loaded, "host", "default", cache_dir=tmp_path / "cache"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("colon", *"s2i", "enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, S2iScreen) and len(app.screen.builders) >= 3,
            "the seeded builders",
        )
        note = str(app.screen.query_one("#note").render())
        assert "member: no S2I/B2I" in note
        assert "NotFound" not in note
        assert "GET /apis" not in note
        await pilot.press("colon", *"s2itemplates", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, S2iTemplatesScreen), "templates")
        await wait_until(
            pilot,
            lambda: "member: no S2I/B2I" in str(app.screen.query_one("#note").render()),
            "the member's note",
        )

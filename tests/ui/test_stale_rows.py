"""The screen never passes rows the server no longer has for live: a server restarted behind the
list's resourceVersion, a hung server, a list answering 410 and a NotFound on `d` (pilot-driven,
on sandboxes of their own over HTTPS)."""

from __future__ import annotations

from collections.abc import Callable

from kstui.app import KstuiApp
from kstui.widgets.context_bar import ContextBar
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import loaded, move_to, wait_until

Fresh = Callable[..., RunningSandbox]
PODS = "/api/v1/namespaces/default/pods"


def pod(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
    }


def bounds(app: KstuiApp, **values: float) -> None:
    """Short liveness bounds, so a test waits seconds instead of the defaults' half minute."""
    app.session.settings = app.session.settings._replace(watch_bounds=tuple(values.items()))


def names(app: KstuiApp) -> set[str]:
    return {name for _namespace, name in app.screen.names.values()}


async def test_a_pod_deleted_while_the_server_was_down_disappears_after_its_restart(
    make_app: Callable[..., KstuiApp], fresh_sandbox: Fresh
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    admin = sandbox_client(running)
    await admin.create(PODS, pod("phantom"))
    for n in range(20):  # the old server's resourceVersion runs ahead of a fresh one
        await admin.patch(f"{PODS}/phantom", {"metadata": {"labels": {"n": str(n)}}})
    await admin.aclose()
    app = make_app("host", "default", kubeconfig=running.kubeconfig)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await wait_until(pilot, lambda: "phantom" in names(app), "the pod")
        bar = app.screen.query_one(ContextBar)
        assert bar.problem == ""
        running.stop()
        await wait_until(pilot, lambda: bar.problem != "", "the outage in the header", 15)
        assert "⚠" in str(bar.render())
        assert "phantom" in names(app)  # kept while it cannot be checked, but flagged
        running.restart()  # same address and credentials, a fresh store: the pod is gone
        await wait_until(pilot, lambda: "phantom" not in names(app), "the phantom gone", 30)
        await wait_until(pilot, lambda: bar.problem == "", "a clean header again", 10)


async def test_a_hung_server_is_flagged_in_the_header_and_the_rows_stay(
    make_app: Callable[..., KstuiApp], fresh_sandbox: Fresh
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    admin = sandbox_client(running)
    await admin.create(PODS, pod("steady"))
    await admin.aclose()
    app = make_app("host", "default", kubeconfig=running.kubeconfig)
    bounds(app, probe_after=1.0, probe_timeout=1.0, list_timeout=1.0)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        bar = app.screen.query_one(ContextBar)
        running.call(running.cluster().faults.hang)
        try:
            await wait_until(pilot, lambda: "not answering" in bar.problem, "the flag", 10)
            assert "⚠" in str(bar.render())
            assert "steady" in names(app)
        finally:
            running.call(running.cluster().faults.clear)
        await wait_until(pilot, lambda: bar.problem == "", "a clean header again", 10)


async def test_a_list_that_keeps_answering_410_shows_a_warning(
    make_app: Callable[..., KstuiApp], fresh_sandbox: Fresh
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    running.call(running.cluster().faults.fail_next, 1000, 410, PODS)
    app = make_app("host", "default", kubeconfig=running.kubeconfig)
    async with app.run_test(size=(120, 30)) as pilot:
        bar = app.screen.query_one(ContextBar)
        await wait_until(pilot, lambda: "410" in bar.problem, "the 410 in the header", 15)
        assert "⚠" in str(bar.render())
        running.call(running.cluster().faults.clear)
        app.screen.backend.caches.caches()[0].retry_now()  # as a new screen would
        await loaded(pilot, minimum=0)
        await wait_until(pilot, lambda: bar.problem == "", "a clean header again", 15)


async def test_describe_of_a_pod_the_watch_missed_drops_the_row(
    make_app: Callable[..., KstuiApp], fresh_sandbox: Fresh
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    admin = sandbox_client(running)
    for name in ("ghost", "steady"):
        await admin.create(PODS, pod(name))
    await admin.aclose()
    app = make_app("host", "default", kubeconfig=running.kubeconfig)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, minimum=2)

        def vanish(cluster) -> None:  # type: ignore[no-untyped-def]
            cluster.faults.mute_watches()  # the deletion never reaches the watch
            cluster.store.remove(
                cluster.kind("", "v1", "pods"), cluster.store.get(("", "pods"), "default", "ghost")
            )

        running.call(vanish, running.cluster())
        await move_to(pilot, "ghost")
        await pilot.press("d")
        await wait_until(pilot, lambda: "ghost" not in names(app), "the row dropped", 10)
        assert "steady" in names(app)
        running.call(running.cluster().faults.clear)

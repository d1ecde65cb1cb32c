"""`ctrl+k` port-forward from a pod row (the port picked, the local port in use moved to the
next free and said) and from a Service row (a ready pod of it), in read-only mode too; `:pf`
lists the forwards with connections and bytes, says when the pod is gone (`r` re-targets to a
pod of the same service), `ctrl+d` stops one."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

from textual.widgets import OptionList

from kstui.screens.container_pick import ContainerPickModal
from kstui.screens.containers import ContainersScreen
from kstui.screens.port_forwards import PortForwardsScreen, forwards_of
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS, admin_env
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.sandbox.test_kubectl import kubectl
from tests.ui.conftest import loaded, move_to, type_text, wait_until


def notes(app: Any, severity: str = "information") -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == severity]


async def ping(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"PING\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
    writer.close()
    return answer


def rows(app: Any) -> list[list[str]]:
    grid = app.screen.query_one(ResourceTable)
    return [list(row.cells) for key in grid.visible_keys if (row := grid.row(key))]


async def open_pf(pilot: Any) -> None:
    await pilot.press("colon")
    await type_text(pilot, "pf")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PortForwardsScreen), ":pf")


async def test_forward_from_a_pod_row_then_list_and_stop_it(
    make_app: Any, lab: RunningSandbox
) -> None:
    taken = socket.socket()
    with contextlib.suppress(OSError):  # 6379 may be taken already: either way it moves
        taken.bind(("127.0.0.1", 6379))
        taken.listen()
    app = make_app(namespace=NS, readonly=True)  # a forward writes nothing: allowed
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await loaded(pilot, 3)
            await move_to(pilot, "web")
            await pilot.press("ctrl+k")
            await wait_until(pilot, lambda: isinstance(app.screen, ContainerPickModal), "ports")
            options = app.screen.query_one(OptionList)
            labels = [str(options.get_option_at_index(i).id) for i in range(2)]
            assert labels == ["80/TCP (http) · nginx", "6379/TCP · cache"]
            options.highlighted = 1
            await pilot.press("enter")
            await wait_until(pilot, lambda: notes(app), "the forward")
            forward = forwards_of(app).items[0]
            assert forward.local > 6379
            assert notes(app)[0] == (
                f"port-forward: 127.0.0.1:{forward.local} → pod {NS}/web port 6379 "
                "(6379 is in use here); :pf lists the forwards"
            )
            assert await ping(forward.local) == b"+PONG\r\n"

            await open_pf(pilot)
            await wait_until(pilot, lambda: rows(app)[0][2] == "0/1", "the connection counted")
            local = f"127.0.0.1:{forward.local}"
            assert rows(app) == [[local, "forwarding", "0/1", "7 B", "6 B", f"{NS}/web:6379"]]
            await pilot.press("ctrl+d")
            await wait_until(pilot, lambda: not forwards_of(app).items, "stopped")
            assert rows(app) == []
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", forward.local)) != 0
            await pilot.press("escape")
            await loaded(pilot)
    finally:
        taken.close()


async def test_forward_from_a_service_row_and_its_pod_deleted(
    make_app: Any, lab: RunningSandbox
) -> None:
    env = admin_env(lab)
    kubectl(env, "run", "-n", NS, "fwd-redis", "--image=redis:7.2.5", "--port=6379")
    kubectl(env, "expose", "pod", "-n", NS, "fwd-redis", "--port=7100", "--target-port=6379")
    deadline = time.monotonic() + 10
    while (lab.stored(("", "pods"), NS, "fwd-redis") or {}).get("status", {}).get(
        "phase"
    ) != "Running":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    app = make_app(namespace=NS, kind="services")
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await loaded(pilot, 1)
            await move_to(pilot, "fwd-redis")
            await pilot.press("ctrl+k")  # one port: no question
            await wait_until(pilot, lambda: forwards_of(app).items, "the forward")
            forward = forwards_of(app).items[0]
            assert (forward.pod, forward.port, forward.wanted) == ("fwd-redis", 6379, 7100)
            assert await ping(forward.local) == b"+PONG\r\n"
            await open_pf(pilot)
            await wait_until(pilot, lambda: rows(app), "the row")
            assert rows(app)[0][5] == f"{NS}/fwd-redis:6379 (service/fwd-redis)"
            kubectl(env, "delete", "pod", "-n", NS, "fwd-redis", "--wait=false")
            await wait_until(pilot, lambda: rows(app)[0][1] == "pod gone", "gone", 10)
            detail = str(app.screen.query_one("#detail").render())
            assert detail == f"pod {NS}/fwd-redis is gone (r re-targets)"
            await pilot.press("r")  # re-target: no pod of the service yet
            await wait_until(pilot, lambda: notes(app, "warning"), "no pod")
            assert notes(app, "warning") == [
                "re-target: no running pod to re-target to (service/fwd-redis)"
            ]
            kubectl(
                env, "run", "-n", NS, "fwd-redis-2", "--image=redis:7.2.5", "--labels=run=fwd-redis"
            )
            deadline = time.monotonic() + 10
            while (lab.stored(("", "pods"), NS, "fwd-redis-2") or {}).get("status", {}).get(
                "phase"
            ) != "Running":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            await pilot.press("r")
            await wait_until(pilot, lambda: rows(app)[0][1] == "forwarding", "re-targeted")
            assert rows(app)[0][5] == f"{NS}/fwd-redis-2:6379 (service/fwd-redis)"
            assert await ping(forward.local) == b"+PONG\r\n"
    finally:
        kubectl(env, "delete", "service", "-n", NS, "fwd-redis")
        kubectl(env, "delete", "pod", "-n", NS, "fwd-redis-2", "--ignore-not-found")


async def test_forward_from_a_container_row_offers_its_ports_only(
    make_app: Any, lab: RunningSandbox
) -> None:
    app = make_app(namespace=NS)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "web")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainersScreen), "containers")
        containers = app.screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: containers.row_count == 2, "two containers")
        assert containers.move_cursor_to("cache")
        await pilot.press("ctrl+k")  # the cache container has one port: no question
        await wait_until(pilot, lambda: forwards_of(app).items, "the forward")
        forward = forwards_of(app).items[0]
        assert (forward.pod, forward.port) == ("web", 6379)
        assert await ping(forward.local) == b"+PONG\r\n"


async def test_port_forward_says_why_not_on_other_rows(make_app: Any, lab: RunningSandbox) -> None:
    app = make_app(namespace="default", kind="configmaps")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 1)
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: notes(app, "warning"), "why not")
        assert notes(app, "warning")[0] == (
            ": port-forward: configmaps have no ports; choose a pod, a service or a workload"
        )

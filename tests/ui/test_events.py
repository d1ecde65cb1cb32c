"""The events views (issue 11): a namespace's (`:events`), every namespace's warnings
(`:events -A --warnings`, or `!`), a selected object's and what it owns (`E`): live from a
watch, repeats of one object, reason and message grouped into one row with a summed count."""

from __future__ import annotations

from typing import Any

from kstui.backends.kube import KubeClient
from kstui.screens.events import EventsScreen
from kstui.widgets.resource_table import ResourceTable
from tests.ui.conftest import loaded, move_to, type_text, wait_until

NS = "events-grouped"


def event(name: str, obj: str, reason: str, message: str, count: int, first: str, last: str,
          type_: str = "Warning") -> dict[str, Any]:  # fmt: skip
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NS},
        "involvedObject": {"kind": "Pod", "namespace": NS, "name": obj, "apiVersion": "v1"},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": first,
        "lastTimestamp": last,
        "source": {"component": "kubelet"},
    }


async def seed(kube: KubeClient) -> None:
    try:
        await kube.get(f"/api/v1/namespaces/{NS}")
        return
    except Exception:
        await kube.create(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        )
    path = f"/api/v1/namespaces/{NS}/events"
    # the same object, reason and message from two reporters: one row, 2 + 3 = 5
    await kube.create(path, event("web-1.a", "web-1", "BackOff", "Back-off restarting", 2,
                                  "2026-01-01T10:00:00Z", "2026-01-01T10:05:00Z"))  # fmt: skip
    await kube.create(path, event("web-1.b", "web-1", "BackOff", "Back-off restarting", 3,
                                  "2026-01-01T09:00:00Z", "2026-01-01T10:01:00Z"))  # fmt: skip
    nine = "2026-01-01T09:00:00Z"
    await kube.create(path, event("web-1.c", "web-1", "Pulled", "Pulled image", 1, nine, nine,
                                  "Normal"))  # fmt: skip
    # hostile text: shown, never acted on
    await kube.create(path, event("web-2.a", "web-2", "Failed", "[red]x[/] \x1b]0;T\x07", 1,
                                  "2026-01-01T09:00:00Z", "2026-01-01T09:00:00Z"))  # fmt: skip


def rows(screen: EventsScreen) -> dict[tuple[str, str], tuple[str, ...]]:
    table = screen.query_one(ResourceTable)
    found = {}
    for key in table._store.rows:
        cells = table._store.rows[key].cells
        found[(cells[2], cells[3])] = cells  # (reason, object)
    return found


async def open_events(pilot: Any, app: Any, line: str) -> EventsScreen:
    await pilot.press("colon")
    await type_text(pilot, line)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, EventsScreen), f":{line}")
    screen: EventsScreen = app.screen
    await wait_until(pilot, lambda: screen.groups is not None, "the events")
    await pilot.pause(0.3)
    return screen


async def test_repeats_are_grouped_with_summed_counts_and_live(make_app, kube) -> None:  # type: ignore[no-untyped-def]
    await seed(kube)
    app = make_app(namespace=NS)
    async with app.run_test(size=(160, 30)) as pilot:
        await loaded(pilot, minimum=0)
        screen = await open_events(pilot, app, "events")
        found = rows(screen)
        backoff = found[("BackOff", "pod/web-1")]
        assert backoff[1] == "Warning"
        assert backoff[4] == "5"  # 2 + 3
        assert backoff[6] == "2026-01-01T09:00:00Z"  # the earliest first seen
        assert backoff[0] == "2026-01-01T10:05:00Z"  # the latest last seen
        assert found[("Pulled", "pod/web-1")][4] == "1"
        assert len(found) == 3
        assert "3 rows, 7 events" in str(screen.query_one("#title").render())

        hostile = found[("Failed", "pod/web-2")][5]
        assert hostile == "[red]x[/] \x1b]0;T\x07"  # the data as it is; the table shows it inert
        shown = "\n".join(screen.query_one(ResourceTable).render_line(y).text for y in range(6))
        assert "[red]x[/] ␛]0;T␇" in shown

        await kube.create(
            f"/api/v1/namespaces/{NS}/events",
            event("web-1.d", "web-1", "BackOff", "Back-off restarting", 4,
                  "2026-01-01T10:06:00Z", "2026-01-01T10:07:00Z"),
        )  # fmt: skip
        await wait_until(
            pilot, lambda: rows(screen)[("BackOff", "pod/web-1")][4] == "9", "the watch's event"
        )
        await kube.delete(f"/api/v1/namespaces/{NS}/events/web-1.d")

        await pilot.press("slash")  # the rows filtered, as in every list
        await type_text(pilot, "Pulled")
        await pilot.press("enter")
        table = screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: table.visible_count == 1, "one row matches")


async def test_warnings_across_namespaces_and_the_toggle(make_app, kube) -> None:  # type: ignore[no-untyped-def]
    await seed(kube)
    app = make_app(namespace=NS)
    async with app.run_test(size=(160, 30)) as pilot:
        await loaded(pilot, minimum=0)
        screen = await open_events(pilot, app, "events -A --warnings")
        assert screen.scope.namespace == ""
        assert screen.scope.warnings
        table = screen.query_one(ResourceTable)
        types = {row.cells[2] for row in table._store.rows.values()}
        assert types == {"Warning"}
        namespaces = {row.cells[0] for row in table._store.rows.values()}
        assert NS in namespaces
        assert len(namespaces) > 1  # the sandbox's own crash-loopers' BackOffs too
        assert "warning events in every namespace" in str(screen.query_one("#title").render())
        await pilot.press("exclamation_mark")
        await wait_until(
            pilot,
            lambda: "Normal" in {row.cells[2] for row in table._store.rows.values()},
            "every event again",
        )
        assert not screen.scope.warnings


async def test_E_on_a_deployment_shows_its_events_and_its_pods(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(namespace="shop-prod", kind="deployments")
    async with app.run_test(size=(160, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "reviews-v1")
        await pilot.press("E")
        await wait_until(pilot, lambda: isinstance(app.screen, EventsScreen), "events")
        screen: EventsScreen = app.screen
        await wait_until(pilot, lambda: bool(screen.groups), "its events")
        objects = {group.object for group in screen.groups or []}
        assert "deployment/reviews-v1" in objects  # ScalingReplicaSet
        assert any(name.startswith("pod/reviews-v1-") for name in objects)  # Scheduled, ...
        reasons = {group.reason for group in screen.groups or []}
        assert {"ScalingReplicaSet", "Scheduled", "Started"} <= reasons
        assert "events of deployment reviews-v1 in shop-prod" in str(
            screen.query_one("#title").render()
        )

"""The logs view for every scope (issue 11): a selector's pods joining and leaving, several
clusters merged in time order, include/exclude/highlight, JSON, pause, save, the ring's dropped
count, the previous instance, and hostile lines shown inert. Real streams from the sandbox."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from kstui.backends.kube import KubeClient
from kstui.backends.log_streams import LogLine
from kstui.backends.observe_logs import LogPick
from kstui.config import Config, LogSettings
from kstui.sandbox.podlogs import LOG_ANNOTATION
from kstui.screens.logs import LogsScreen
from kstui.screens.observe_open import picked_logs
from kstui.widgets.log_lines import LogLines
from tests.connections import sandbox_client
from tests.ui.conftest import drawn, loaded, type_text, wait_until

JSON_LINE = json.dumps({"level": "info", "msg": "paid", "user": {"id": 7, "name": "ann"}})
LINES = ["GET /cart 200", "ERROR payment declined", JSON_LINE, "GET /health 200"]


def title_of(screen: Any) -> str:
    return str(screen.query_one("#title").render())


def shown(screen: LogsScreen) -> list[str]:
    return [plain for _row, plain in screen.shown]


def ours(screen: LogsScreen) -> list[str]:
    """The pod's literal lines among those shown (the generator's go on arriving)."""
    return [plain for plain in shown(screen) if plain in LINES or plain.startswith("level=")]


def on_screen(screen: LogsScreen) -> str:
    return screen.query_one(LogLines).text()


async def namespace(kube: KubeClient, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    if not await _exists(kube, f"/api/v1/namespaces/{name}"):
        await kube.create("/api/v1/namespaces", body)


async def _exists(kube: KubeClient, path: str) -> bool:
    try:
        await kube.get(path)
    except Exception:
        return False
    return True


async def pod(
    kube: KubeClient, ns: str, name: str, labels: dict[str, str], lines: list[str] | None = None
) -> None:
    annotations = {LOG_ANNOTATION: "\n".join(lines)} if lines is not None else {}
    await kube.create(
        f"/api/v1/namespaces/{ns}/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels, "annotations": annotations},
            "spec": {"containers": [{"name": "app", "image": "shop/app:1.0"}]},
        },
    )


async def command(pilot: Any, app: Any, line: str) -> LogsScreen:
    await pilot.press("colon")
    await type_text(pilot, line)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), f":{line}")
    return app.screen  # type: ignore[no-any-return]


async def answer(pilot: Any, screen: LogsScreen, key: str, value: str) -> None:
    await pilot.press(key)
    field = screen.query_one("#ask-input", Input)
    await wait_until(pilot, lambda: field.has_focus, f"the question of {key}")
    field.value = value
    await pilot.press("enter")
    await pilot.pause()


async def test_a_selector_follows_pods_that_join_and_stops_those_that_go(  # type: ignore[no-untyped-def]
    make_app, kube
) -> None:
    await namespace(kube, "logs-join")
    await pod(kube, "logs-join", "join-a", {"app": "joiner"})
    app = make_app(namespace="logs-join")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, "logs -l app=joiner")
        await wait_until(pilot, lambda: any("join-a" in s for s in shown(screen)), "join-a")
        assert "logs logs-join -l app=joiner @ host" in title_of(screen)

        await pod(kube, "logs-join", "join-b", {"app": "joiner"})
        await wait_until(
            pilot,
            lambda: any(s.startswith("join-b │ ") and "started" not in s for s in shown(screen)),
            "lines of the pod created mid-follow",
            timeout=15,
        )
        await kube.delete("/api/v1/namespaces/logs-join/pods/join-a", grace_seconds=0)
        await wait_until(
            pilot,
            lambda: any("join-a" in s and "stream stopped" in s for s in shown(screen)),
            "join-a's stream stopped",
            timeout=15,
        )
        streams = [key for follower in screen.followers for key in follower.streams]
        assert ("logs-join", "join-b", "app") in streams
        assert not [key for key in streams if key[1] == "join-a"]
        count = sum(1 for s in shown(screen) if s.startswith("join-b"))
        await wait_until(
            pilot,
            lambda: sum(1 for s in shown(screen) if s.startswith("join-b")) > count,
            "join-b goes on",
            timeout=15,
        )


async def test_include_exclude_highlight_json_and_find(make_app, kube) -> None:  # type: ignore[no-untyped-def]
    await namespace(kube, "logs-modes")
    await pod(kube, "logs-modes", "modes", {"app": "modes"}, LINES)
    app = make_app(namespace="logs-modes")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, "logs modes --tail 4")
        await wait_until(pilot, lambda: len(shown(screen)) >= 4, "the four lines")
        assert ours(screen) == LINES  # one pod, one container: no prefix

        await answer(pilot, screen, "I", "GET ")
        assert ours(screen) == ["GET /cart 200", "GET /health 200"]
        notes = ("log stream:", "started:")  # kstui's own words stay whatever the filter
        assert all("GET " in plain for plain in shown(screen) if not plain.startswith(notes))
        assert "include /GET /" in title_of(screen)
        await answer(pilot, screen, "X", "health")
        assert ours(screen) == ["GET /cart 200"]
        assert not any("health" in plain for plain in shown(screen))
        await answer(pilot, screen, "I", "")
        await answer(pilot, screen, "X", "")
        assert ours(screen) == LINES

        await answer(pilot, screen, "I", "(unclosed")  # said, and the line stays open
        status = str(screen.query_one("#ask-status").render())
        assert "invalid regex /(unclosed/" in status
        assert screen.query_one("#ask-input", Input).has_focus
        await pilot.press("escape")
        assert screen.look.include is None

        await answer(pilot, screen, "h", "declined")
        rows = screen.query_one(LogLines).rows
        marked = [
            row.plain[span.start : span.end]
            for row in rows
            for span in row.spans
            if "on yellow" in str(span.style)
        ]
        assert marked == ["declined"]

        await pilot.press("J")  # pretty
        assert '  "level": "info",' in on_screen(screen).split("\n")
        assert '    "id": 7,' in on_screen(screen).split("\n")
        await answer(pilot, screen, "F", "level user.id")  # flattened to chosen fields
        assert "level=info user.id=7" in shown(screen)
        assert "json fields" in title_of(screen)
        await pilot.press("J")  # back to raw
        assert JSON_LINE in shown(screen)

        await answer(pilot, screen, "slash", "/(cart|health) 200$")
        status = str(screen.query_one("#ask-status").render())
        assert "match 2 of 2" in status  # the newest match first
        await pilot.press("n")
        assert "match 1 of 2" in str(screen.query_one("#ask-status").render())
        assert screen.paused  # a find holds the view still


async def test_save_writes_what_is_shown_with_mode_0600(make_app, kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    await namespace(kube, "logs-modes")
    if not await _exists(kube, "/api/v1/namespaces/logs-modes/pods/save"):
        await pod(kube, "logs-modes", "save", {"app": "save"}, LINES)
    app = make_app(namespace="logs-modes")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, "logs save --tail 4")
        await wait_until(pilot, lambda: len(shown(screen)) >= 4, "the four lines")
        await pilot.press("C")
        field = screen.query_one("#ask-input", Input)
        assert field.value.endswith(".log")  # a default path is offered
        target = tmp_path / "saved.log"
        target.write_text("old")
        os.chmod(target, 0o644)
        await pilot.press("escape")  # closes the question
        await answer(pilot, screen, "C", str(target))
        saved = target.read_text().split("\n")
        assert [line for line in saved if line in LINES] == LINES
        assert saved[-1] == ""
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        said = [n.message for n in app._notifications]
        assert f"saved {len(saved) - 1} lines to {target} (mode 0600)" in said


async def test_the_ring_counts_what_it_drops(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(config=Config(logs=LogSettings(buffer_lines=20)))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        screen = app.screen
        await wait_until(pilot, lambda: screen.buffer.dropped > 0, "lines over the ring")
        assert len(screen.buffer.lines) == 20
        assert screen.buffer.dropped + 20 == screen.buffer.received
        await wait_until(
            pilot,
            lambda: f"{screen.buffer.dropped} older lines dropped (ring of 20)" in title_of(screen),
            "the count in the title",
        )


async def test_previous_instance_and_none(make_app, kube) -> None:  # type: ignore[no-untyped-def]
    listed = await kube.list("/api/v1/pods")
    crashed = next(
        p
        for p in listed["items"]
        if any(
            int(s.get("restartCount") or 0) > 0 and (s.get("lastState") or {}).get("terminated")
            for s in p["status"].get("containerStatuses") or []
        )
        and len(p["spec"]["containers"]) == 1
    )
    ns, name = crashed["metadata"]["namespace"], crashed["metadata"]["name"]
    app = make_app(namespace=ns)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, f"logs {name}")
        await pilot.press("B")
        await wait_until(
            pilot, lambda: app.screen is not screen and isinstance(app.screen, LogsScreen), "P"
        )
        previous = app.screen
        assert previous.options.previous
        await wait_until(pilot, lambda: "previous instance" in title_of(previous), "title")
        await wait_until(
            pilot,
            lambda: any("end of the previous instance's log" in s for s in shown(previous)),
            "the previous run's log, to its end",
        )
        assert len(shown(previous)) > 1

    await namespace(kube, "logs-modes")
    if not await _exists(kube, "/api/v1/namespaces/logs-modes/pods/fresh"):
        await pod(kube, "logs-modes", "fresh", {"app": "fresh"}, ["hello"])
    app = make_app(namespace="logs-modes")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, "logs fresh --previous")
        await wait_until(
            pilot,
            lambda: any("no previous instance" in s for s in shown(screen)),
            "says there is none",
        )


async def test_several_clusters_merge_in_time_order_with_a_prefix(  # type: ignore[no-untyped-def]
    make_app, kube, sandbox
) -> None:
    member = sandbox_client(sandbox, "member")
    try:
        for client in (kube, member):
            await namespace(client, "logs-merge")
            where = "h" if client is kube else "m"
            if not await _exists(client, f"/api/v1/namespaces/logs-merge/pods/merge-{where}"):
                await pod(client, "logs-merge", f"merge-{where}", {"app": "merged"})
    finally:
        await member.aclose()
    app = make_app(namespace="logs-merge")
    async with app.run_test(size=(140, 30)) as pilot:
        await loaded(pilot, minimum=0)
        screen = await command(pilot, app, "logs -l app=merged -n logs-merge @host,member")

        def both() -> bool:
            lines = shown(screen)
            heads = {tuple(s.split(" │ ", 1)[0].split()) for s in lines if " │ " in s}
            return {("@host", "merge-h"), ("@member", "merge-m")} <= heads

        await wait_until(pilot, both, f"lines of both clusters: {shown(screen)[:6]}", timeout=15)
        await pilot.pause(1)
        real = [line for line in screen.buffer.lines if not line.note]
        assert {line.context for line in real} == {"host", "member"}
        keys = [line.key for line in real]
        assert keys == sorted(keys)  # one timeline across clusters
        assert "@ host,member" in title_of(screen)
        await pilot.press("ctrl+t")  # the server's timestamps shown
        stamped = [s for s in shown(screen) if s.startswith("@host merge-h")]
        assert stamped[-1].split(" │ ", 1)[1][:4].isdigit()


@pytest.mark.parametrize("wrap", [False, True])
async def test_hostile_lines_are_shown_inert(make_app, kube, wrap: bool) -> None:  # type: ignore[no-untyped-def]
    hostile = "[bold red]BOLD[/] \x1b]0;PWNED\x07 \x1b[2J [link=https://e.example]L[/link]"
    await namespace(kube, "logs-hostile")
    if not await _exists(kube, "/api/v1/namespaces/logs-hostile/pods/evil"):
        await pod(kube, "logs-hostile", "evil", {"app": "evil"}, [hostile])
    app = make_app(namespace="logs-hostile")
    async with app.run_test(size=(160, 30)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, "logs evil --tail 1")
        if wrap:
            await pilot.press("W")
        await wait_until(pilot, lambda: "PWNED" in on_screen(screen), "the hostile line")
        text = on_screen(screen)
        assert "[bold red]BOLD[/]" in text  # markup shown as written
        assert "␛]0;PWNED␇" in text  # the escape shown, never sent
        assert "\x1b" not in text
        assert "\x07" not in text


async def test_the_dropped_and_held_counts_are_drawn_at_80_columns(make_app, kube) -> None:  # type: ignore[no-untyped-def]
    """A long heading must not push the counts off a narrow title: they are never silent."""
    app = make_app(namespace="shop-prod", config=Config(logs=LogSettings(buffer_lines=20)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, "logs -l app=reviews,version=v1 -n shop-prod @host")
        title = screen.query_one("#title")
        await wait_until(
            pilot,
            lambda: screen.buffer.dropped > 0 and "dropped" in drawn(title),
            "the dropped count drawn",
        )
        assert f"{screen.buffer.dropped} older lines dropped" in drawn(title)
        assert drawn(title).startswith("logs shop-prod -l app=")  # the heading cut, not the count
        await pilot.press("f")
        await wait_until(
            pilot,
            lambda: screen.held > 0 and f"paused (f): {screen.held} new lines" in drawn(title),
            f"the held count drawn: {drawn(title)!r}",
        )


async def test_a_flood_between_two_ticks_keeps_the_newest_lines(make_app) -> None:  # type: ignore[no-untyped-def]
    """More lines than the ring arriving at once (many pods' tails) are cut by time, not by
    arrival: the ring ends with the newest lines whichever stream sent them first."""
    app = make_app(config=Config(logs=LogSettings(buffer_lines=20)))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        screen = app.screen
        newest = [
            LogLine("host", "ns", "new", "app", f"2099-01-01T00:00:{i:02d}.000000Z", f"new {i}")
            for i in range(50)
        ]
        older = [
            LogLine("host", "ns", "old", "app", f"2098-01-01T00:00:{i:02d}.000000Z", f"old {i}")
            for i in range(50)
        ]
        received = screen.buffer.received + len(screen._pending)
        for line in [*newest, *older]:  # the newest stream's tail came in first
            screen.emit(line)
        newest_20 = [f"new {i}" for i in range(30, 50)]
        await wait_until(
            pilot,
            lambda: [line.text for line in screen.buffer.lines] == newest_20,
            f"the newest lines kept: {[line.text for line in screen.buffer.lines]}",
        )
        assert screen.buffer.received >= received + 100


async def test_many_streams_merge_by_appending_not_by_redrawing(make_app) -> None:  # type: ignore[no-untyped-def]
    """Each stream sends its lines in chunks, so a chunk often holds lines older than another
    stream's last one: they wait to be merged in order, and the view only appends (a redraw
    of a 100,000-line ring costs seconds)."""
    app = make_app(namespace="shop-prod")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, "logs -l app=reviews")  # 2 pods x 2 containers
        await wait_until(pilot, lambda: len(screen.buffer.lines) > 50, "the tails")
        await pilot.pause(1)
        calls: list[str] = []
        for name in ("redraw", "_rewrite"):
            method = getattr(screen, name, None)
            if method is not None:
                setattr(screen, name, lambda *a, m=method, n=name: (calls.append(n), m(*a)))
        received = screen.buffer.received
        await wait_until(
            pilot, lambda: screen.buffer.received > received + 30, "lines of every stream"
        )
        await pilot.pause(2)
        assert calls == []
        keys = [line.key for line in screen.buffer.lines if not line.note]
        assert keys == sorted(keys)
        last = [plain for _row, plain in screen.shown][-10:]
        assert len(set(last)) == len(last)  # nothing written twice


async def test_up_leaves_the_end_while_the_ring_drops_lines(make_app) -> None:  # type: ignore[no-untyped-def]
    """The view lets go of what the ring dropped from its front: a key up right after still
    scrolls up and stops following (it used to start from the old place, past the end)."""
    app = make_app(namespace="shop-prod", config=Config(logs=LogSettings(buffer_lines=40)))
    async with app.run_test(size=(120, 20)) as pilot:
        await loaded(pilot)
        screen = await command(pilot, app, "logs -l app=reviews")
        log = screen.query_one(LogLines)
        await wait_until(pilot, lambda: screen.buffer.dropped > 200, "the ring dropping lines")
        for _ in range(5):
            await pilot.press("up")
            await wait_until(pilot, lambda: not screen.at_end, "scrolled up, not following")
            await wait_until(pilot, lambda: "paused (scrolled up)" in title_of(screen), "said")
            top = log.scroll_y
            await pilot.pause(0.5)  # lines go on coming and the front goes on being dropped
            assert not screen.at_end
            assert log.scroll_y <= top
            await pilot.press("G")
            await wait_until(pilot, lambda: screen.at_end, "following again")


async def test_a_long_workload_name_keeps_its_end_and_the_cluster_at_80_columns(make_app) -> None:  # type: ignore[no-untyped-def]
    """Observe's `l` on a workload titles the view with its kind, namespace/name and cluster:
    at 80 columns a long name is cut in its middle, so its end (what tells it from its
    siblings) and the cluster stay on the title with the state."""
    name = "payments-gateway-canary-eu-west-1-blue"
    app = make_app(namespace="shop-prod")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        pick = LogPick(
            "host", "shop-prod", selector="app=reviews", what=f"deployment shop-prod/{name}"
        )
        await app.push_screen(picked_logs(app.session, pick))
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        title = app.screen.query_one("#title")
        await wait_until(pilot, lambda: "following" in drawn(title), "the title drawn")
        said = drawn(title).strip()
        assert said.startswith("logs deployment shop-prod/"), said
        assert "eu-west-1-blue @ host · following" in said, said
        assert "…" in said  # cut in the name's middle

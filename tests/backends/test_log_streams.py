"""PodLogs against the sandbox: sinceTime (what a chart's cursor asks), tail, and a context
that cannot be reached said in a note while the others go on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kstui.backends.errors import Unreachable
from kstui.backends.log_streams import LogLine, LogOptions, LogScope, follow_all, sort_key
from kstui.sandbox.controllers.pods import START_AFTER_ANNOTATION
from tests.connections import sandbox_client


class Reached:
    def __init__(self, sandbox: Any, name: str = "host") -> None:
        self.name = name
        self.client = sandbox_client(sandbox, name)

    async def open(self) -> Any:
        return self.client


class Unreached:
    name = "gone"

    async def open(self) -> Any:
        raise Unreachable("cannot reach gone", "connection refused")


async def collect(scopes: list[Any], options: LogOptions, seconds: float) -> list[LogLine]:
    lines: list[LogLine] = []
    task = asyncio.create_task(follow_all(scopes, options, lines.append))
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return lines


async def until(done: Callable[[], object], what: str, timeout: float) -> None:
    """Poll (every 50 ms) until `done()` holds; fail naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not done():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def streamed(lines: list[LogLine], pod: str) -> bool:
    return any(line.pod == pod and not line.note for line in lines)


async def test_since_time_and_tail(sandbox: Any) -> None:
    host = Reached(sandbox)
    listed = await host.client.list(
        "/api/v1/namespaces/payments/pods", {"labelSelector": "app=api"}
    )
    pod = listed["items"][0]["metadata"]["name"]
    scope = LogScope("host", "payments", pod=pod)
    since = (datetime.now(UTC) - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = await collect([(host, scope)], LogOptions(tail=None, since_time=since), 1.0)
    real = [line for line in lines if not line.note]
    assert real
    assert all(line.key >= sort_key(since) for line in real)

    tail = await collect([(host, scope)], LogOptions(tail=3), 0.5)
    assert 3 <= len([line for line in tail if not line.note]) <= 6  # 3, and what followed
    await host.client.aclose()


async def test_a_window_reads_only_its_lines_and_ends_without_following(sandbox: Any) -> None:
    host = Reached(sandbox)
    now = datetime.now(UTC)
    since = (now - timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (now - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    scope = LogScope("host", "payments", selector="app=api")
    lines: list[LogLine] = []
    window = LogOptions(tail=None, since_time=since, until_time=until)
    assert not window.followed
    await asyncio.wait_for(follow_all([(host, scope)], window, lines.append), 20)  # it ends
    real = [line for line in lines if not line.note]
    assert len({line.pod for line in real}) > 1  # every pod of the selector
    assert all(sort_key(since) <= line.key <= sort_key(until) for line in real)
    await host.client.aclose()


async def test_an_unreachable_context_is_a_note_and_the_others_go_on(sandbox: Any) -> None:
    host = Reached(sandbox)
    scopes = [
        (host, LogScope("host", "payments", selector="app=api")),
        (Unreached(), LogScope("gone", "payments", selector="app=api")),
    ]
    lines = await collect(scopes, LogOptions(tail=2), 1.0)
    notes = [line for line in lines if line.note and line.context == "gone"]
    assert [note.text for note in notes] == ["pods: cannot reach gone: connection refused"]
    assert {line.pod for line in lines if line.context == "host" and not line.note}
    await host.client.aclose()


async def test_a_dropped_and_expired_pods_watch_lists_again_and_goes_on(fresh_sandbox: Any) -> None:
    running = fresh_sandbox()
    host = Reached(running)
    kube = host.client
    ns = "gone-watch"
    await kube.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
    )

    async def pod(name: str) -> None:
        await kube.create(
            f"/api/v1/namespaces/{ns}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": name,
                    "labels": {"app": "w"},
                    "annotations": {START_AFTER_ANNOTATION: "0.2"},  # not the usual 1–3 s
                },
                "spec": {"containers": [{"name": "app", "image": "shop/app:1"}]},
            },
        )

    await pod("w-a")
    lines: list[LogLine] = []
    task = asyncio.create_task(
        follow_all([(host, LogScope("host", ns, selector="app=w"))], LogOptions(), lines.append)
    )
    await until(lambda: streamed(lines, "w-a"), "w-a's lines", 10)
    faults = running.cluster().faults
    running.call(faults.fail_next, 1, 410, f"/api/v1/namespaces/{ns}/pods")
    running.call(faults.drop_watches)  # reset: watched again, answered 410, listed again
    await until(lambda: [t for t in list(faults.taken) if t[2] == 410], "the 410", 10)
    await pod("w-b")
    await until(lambda: streamed(lines, "w-b"), "w-b's lines (after the relist)", 15)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert not [line for line in lines if line.text.startswith("pods:")]
    await kube.aclose()


async def test_a_selector_of_many_pods_streams_every_one(fresh_sandbox: Any) -> None:
    """Each followed container holds a connection for as long as it streams: more of them
    than the client's connection pool (and the list watches beside) must all stream."""
    running = fresh_sandbox()
    host = Reached(running)
    kube = host.client
    ns = "many-logs"
    await kube.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
    )
    for index in range(70):
        await kube.create(
            f"/api/v1/namespaces/{ns}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"many-{index:02d}",
                    "labels": {"app": "many"},
                    "annotations": {
                        "sandbox.kstui.io/log-rate": "20",
                        START_AFTER_ANNOTATION: "0.2",
                    },
                },
                "spec": {"containers": [{"name": "app", "image": "shop/app:1"}]},
            },
        )
    for _ in range(200):
        listed = await kube.list(f"/api/v1/namespaces/{ns}/pods")
        if all(p["status"].get("phase") == "Running" for p in listed["items"]):
            break
        await asyncio.sleep(0.1)
    scope = LogScope("host", ns, selector="app=many")
    lines: list[LogLine] = []
    task = asyncio.create_task(follow_all([(host, scope)], LogOptions(tail=1), lines.append))

    def pods() -> set[str]:
        return {line.pod for line in lines if not line.note}

    with contextlib.suppress(AssertionError):
        await until(lambda: len(pods()) == 70, "every pod", 20)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(pods()) == 70, sorted({f"many-{i:02d}" for i in range(70)} - pods())[:5]
    await kube.aclose()

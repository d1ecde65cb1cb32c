"""SVG snapshots of the Pipelines section at 80x24 and 160x48 on a frozen, seeded sandbox: the
pipeline list, a run with a parallel group (branches side by side, one running, one failed,
one queued), a failing step's log (from a stand-in devops-apiserver behind the service proxy)
and the trigger form."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from textual.pilot import Pilot

from kstui.backends.pipeline_bodies import pipelinerun_body
from kstui.sandbox.runtime import SandboxOptions
from kstui.screens.pipeline_run import RunScreen
from tests.conftest import RunningSandbox, _start
from tests.connections import sandbox_client
from tests.devops_stand import ensure_service
from tests.ui.conftest import wait_until
from tests.ui.test_pipelines import (
    GROUP,
    NS,
    open_run,
    pipeline_list,
    pipelines_app,
)

SIZES = [(80, 24), (160, 48)]
PARALLEL_RUN = "storefront-build-par01"
FAILED_LOG = [
    "+ make test",
    "go test ./...",
    "ok   shop/storefront/cart     0.412s",
    "--- FAIL: TestCheckoutTotals (0.03s)",
    "    totals_test.go:41: total = 19.98, want 19.99",
    "FAIL shop/storefront/checkout 0.207s",
    "make: *** [Makefile:12: test] Error 2",
    "script returned exit code 2",
]


def _stages(now: datetime) -> list[dict[str, Any]]:
    def at(seconds: int) -> str:
        return (now - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    return [
        {
            "id": "6",
            "displayName": "Checkout",
            "type": "STAGE",
            "state": "FINISHED",
            "result": "SUCCESS",
            "startTime": at(300),
            "durationInMillis": 6120,
            "steps": [
                {
                    "id": "7",
                    "displayName": "Check out from version control",
                    "state": "FINISHED",
                    "result": "SUCCESS",
                    "durationInMillis": 5980,
                }
            ],
        },
        {
            "id": "11",
            "displayName": "Tests",
            "type": "STAGE",
            "state": "RUNNING",
            "result": "UNKNOWN",
            "startTime": at(290),
        },
        {
            "id": "15",
            "displayName": "unit",
            "type": "PARALLEL",
            "state": "RUNNING",
            "result": "UNKNOWN",
            "startTime": at(290),
            "steps": [
                {
                    "id": "20",
                    "displayName": "Shell Script",
                    "displayDescription": "make unit",
                    "state": "RUNNING",
                    "result": "UNKNOWN",
                    "startTime": at(289),
                }
            ],
        },
        {
            "id": "16",
            "displayName": "lint",
            "type": "PARALLEL",
            "state": "FINISHED",
            "result": "FAILURE",
            "startTime": at(290),
            "durationInMillis": 12000,
            "steps": [
                {
                    "id": "21",
                    "displayName": "Shell Script",
                    "displayDescription": "make lint",
                    "state": "FINISHED",
                    "result": "FAILURE",
                    "durationInMillis": 11800,
                }
            ],
        },
        {
            "id": "17",
            "displayName": "e2e",
            "type": "PARALLEL",
            "state": "QUEUED",
            "causeOfBlockage": "Waiting for next available executor",
        },
        {"id": "30", "displayName": "Push Image", "type": "STAGE", "steps": []},
    ]


async def _seed(running: RunningSandbox, now: datetime) -> None:
    client = sandbox_client(running)
    pipeline = await client.get(f"{GROUP}/namespaces/{NS}/pipelines/storefront-build")
    body = pipelinerun_body(pipeline, {"IMAGE_TAG": "1.9.0"}, creator="alice")
    body["metadata"]["name"] = PARALLEL_RUN
    body["metadata"]["annotations"]["devops.kubesphere.io/jenkins-pipelinerun-id"] = "15"
    await client.create(f"{GROUP}/namespaces/{NS}/pipelineruns", body)
    status = {
        "causes": [{"shortDescription": "Started by user alice"}],
        "startTime": (now - timedelta(seconds=302)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "id": "15",
        "result": "UNKNOWN",
        "state": "RUNNING",
        "commitId": "4be1c09d2f7a11",
    }
    await client.create(
        f"/api/v1/namespaces/{NS}/configmaps",
        {
            "metadata": {"name": PARALLEL_RUN},
            "data": {"status": json.dumps(status), "stage": json.dumps(_stages(now))},
        },
    )
    await client.aclose()


async def _log(request: web.Request) -> web.Response:
    parts = request.path.split("/")
    lines = FAILED_LOG if "/steps/16/" in request.path else [f"+ node {parts[-4]} step {parts[-2]}"]
    text = "\n".join(lines) + "\n"
    start = int(request.query.get("start", "0"))
    return web.Response(
        text=text[start:], headers={"X-Text-Size": str(len(text)), "X-More-Data": "false"}
    )


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    running = _start(
        tmp_path_factory.mktemp("frozen-pipelines"),
        SandboxOptions(clusters=1, pods=40, frozen=True, seed=7),
    )
    now = running.sandbox.clock.now().astimezone(UTC)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(_seed(running, now))
    app = web.Application()
    app.router.add_get("/{tail:.*}", _log)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]

    loop.run_until_complete(ensure_service(running))
    cluster = running.sandbox.cluster()
    running.thread.call(
        cluster.register_proxy,
        "kubesphere-devops-system",
        "devops-apiserver",
        9090,
        f"http://127.0.0.1:{port}",
    )
    import threading

    served = threading.Thread(target=loop.run_forever, daemon=True)
    served.start()
    yield running
    loop.call_soon_threadsafe(loop.stop)
    served.join(5)
    running.thread.stop()


def _app(frozen: RunningSandbox, tmp_path: Path) -> Any:
    now = frozen.sandbox.clock.now().timestamp()
    return pipelines_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pipeline_list(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await pipeline_list(pilot)
        await wait_until(pilot, lambda: screen.permissions, "permissions")
        await pilot.pause()

    assert snap_compare(_app(frozen, tmp_path), terminal_size=size, run_before=run_before)


async def _run_view(pilot: Pilot[Any], run: str, stage: str, logged: str) -> RunScreen:
    screen = await open_run(pilot, "storefront-build", run)
    await wait_until(pilot, lambda: screen.stage_id == stage, "the stage to open on")
    await wait_until(pilot, lambda: logged in str(screen.query_one("#log").lines), "the log")
    await wait_until(pilot, lambda: "ended" in str(screen.query_one("#log-title").render()), "end")
    await wait_until(pilot, lambda: screen.permissions, "permissions")
    await pilot.pause()
    return screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_with_parallel_stages(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _run_view(pilot, PARALLEL_RUN, "15", "node 15 step 20")

    assert snap_compare(_app(frozen, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_failing_step_log(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _run_view(pilot, "storefront-build-h2x9d", "15", "exit code 2")

    assert snap_compare(_app(frozen, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trigger_form(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await pipeline_list(pilot)
        key = next(k for k, p in screen.pipelines.items() if p.name == "storefront-build")
        screen.query_one("#table").move_cursor_to(key)  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: screen.allowed("trigger"), "the trigger permission")
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "TriggerForm", "form")
        await pilot.pause(0.3)

    assert snap_compare(_app(frozen, tmp_path), terminal_size=size, run_before=run_before)

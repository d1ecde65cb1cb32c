"""The Pipelines section on the sandbox's seeded DevOps objects (API.md §3): the pipeline list
across clusters, a pipeline's runs, a run's stage graph and steps, the fallback when no DevOps
API answers, the exact PipelineRun a trigger creates (read back from the API), a running run's
delete refused, a run vanishing (deduplication) with no error left on screen."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.config import Config
from kstui.screens.pipeline_run import RunScreen
from kstui.screens.pipeline_runs import RunsScreen
from kstui.screens.pipelines import PipelinesScreen
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.stage_graph import StageGraphView
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import drawn, wait_until

NS = "shop-cicdr7x2k"
GROUP = "/apis/devops.kubesphere.io/v1alpha3"


def pipelines_app(
    kubeconfig: Path,
    cache_dir: Path,
    *,
    frozen_now: float | None = None,
    context: str = "host",
    config: Config | None = None,
) -> KstuiApp:
    loaded = load_kubeconfig(str(kubeconfig))
    return build_app(
        AppSettings(
            loaded,
            context,
            "default",
            config=config or Config(),
            screen="pipelines",
            frozen_now=frozen_now,
            cache_dir=cache_dir,
        )
    )


async def pipeline_list(pilot: Pilot[Any]) -> PipelinesScreen:
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, PipelinesScreen)
            and {"storefront-build", "api-release"}
            <= {p.name for p in pilot.app.screen.pipelines.values()}
        ),
        "the seeded pipelines",
    )
    screen = pilot.app.screen
    assert isinstance(screen, PipelinesScreen)
    return screen


async def open_runs(pilot: Pilot[Any], name: str) -> RunsScreen:
    screen = await pipeline_list(pilot)
    key = next(k for k, p in screen.pipelines.items() if p.name == name)
    screen.query_one(ResourceTable).move_cursor_to(key)
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, RunsScreen) and pilot.app.screen.runs,
        "the pipeline's runs",
    )
    runs = pilot.app.screen
    assert isinstance(runs, RunsScreen)
    return runs


async def open_run(pilot: Pilot[Any], pipeline: str, run: str) -> RunScreen:
    runs = await open_runs(pilot, pipeline)
    key = next(k for k, r in runs.runs.items() if r.name == run)
    runs.query_one(ResourceTable).move_cursor_to(key)
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, RunScreen) and pilot.app.screen.detail is not None,
        "the run",
    )
    screen = pilot.app.screen
    assert isinstance(screen, RunScreen)
    return screen


async def test_pipelines_list_health_last_run_and_branches(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await pipeline_list(pilot)
        rows = {p.name: p for p in screen.pipelines.values()}
        assert rows["storefront-build"].weather == 60
        assert rows["storefront-build"].last_phase in ("Running", "Failed", "Succeeded")
        assert rows["api-release"].branches == ("main", "release-1.4")
        note = drawn(screen.query_one("#note", Plain))
        assert NS in note


async def test_a_failed_run_shows_its_graph_steps_and_the_fallback_without_a_devops_api(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        run = await open_run(pilot, "storefront-build", "storefront-build-h2x9d")
        graph = run.query_one(StageGraphView)
        await wait_until(pilot, lambda: graph.groups, "the graph")
        assert [g.name for g in graph.groups] == [
            "Checkout",
            "Unit Test",
            "Build Image",
            "Push Image",
        ]
        assert run.detail is not None
        failed = run.detail.graph.first_failed()
        assert failed is not None
        assert failed.name == "Unit Test"
        graph.pick(failed.id)
        await wait_until(
            pilot,
            lambda: "DevOps API" in drawn(run.query_one("#log-title", Plain)),
            "the log title saying there is no DevOps API",
            timeout=15,
        )
        steps = run.query_one("#steps", ResourceTable)
        assert steps.row_count == 2


async def test_trigger_creates_the_exact_pipelinerun(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = sandbox_client(sandbox)
    pipeline = await client.get(f"{GROUP}/namespaces/{NS}/pipelines/storefront-build")
    before = {
        r["metadata"]["name"]
        for r in (await client.list(f"{GROUP}/namespaces/{NS}/pipelineruns"))["items"]
    }
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await pipeline_list(pilot)
        key = next(k for k, p in screen.pipelines.items() if p.name == "storefront-build")
        screen.query_one(ResourceTable).move_cursor_to(key)
        await wait_until(pilot, lambda: screen.allowed("trigger"), "the trigger permission")
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TriggerForm", "the form")
        form: Any = app.screen
        await pilot.pause(0.2)
        field = form.query_one("#p-IMAGE_TAG")
        field.value = "1.9.0"  # type: ignore[attr-defined]
        await pilot.pause(0.1)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ != "TriggerForm", "the send")
    runs = (await client.list(f"{GROUP}/namespaces/{NS}/pipelineruns"))["items"]
    made = [r for r in runs if r["metadata"]["name"] not in before]
    assert len(made) == 1
    run = made[0]
    meta = run["metadata"]
    assert meta["generateName"] == "storefront-build-"
    assert meta["labels"]["devops.kubesphere.io/pipeline"] == "storefront-build"
    assert meta["annotations"]["devops.kubesphere.io/creator"]
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "devops.kubesphere.io/v1alpha3",
            "kind": "Pipeline",
            "name": "storefront-build",
            "uid": pipeline["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert run["spec"]["pipelineRef"] == {
        "kind": "Pipeline",
        "name": "storefront-build",
        "namespace": NS,
    }
    assert run["spec"]["pipelineSpec"] == copy.deepcopy(pipeline["spec"])
    assert run["spec"]["parameters"] == [{"name": "IMAGE_TAG", "value": "1.9.0"}]
    assert "scm" not in run["spec"]
    await client.delete(f"{GROUP}/namespaces/{NS}/pipelineruns/{meta['name']}")


async def test_deleting_a_running_run_is_refused_and_says_why(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        runs = await open_runs(pilot, "storefront-build")
        key = next(k for k, r in runs.runs.items() if r.phase == "Running")
        runs.query_one(ResourceTable).move_cursor_to(key)
        await wait_until(pilot, lambda: runs.allowed("delete"), "the delete permission")
        await pilot.press("ctrl+d")
        await pilot.pause(0.1)
        status = drawn(runs.query_one("#status", Plain))
        assert "deletes only finished runs" in status
        assert not any(type(s).__name__ == "ConfirmModal" for s in app.screen_stack)

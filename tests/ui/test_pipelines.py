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
from tests.devops_down import devops_down
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

    def shown() -> RunScreen | None:  # a dialog (a login) may already cover it
        found = [s for s in pilot.app.screen_stack if isinstance(s, RunScreen)]
        return found[-1] if found and found[-1].detail is not None else None

    await wait_until(pilot, shown, "the run")
    screen = shown()
    assert screen is not None
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
    async with devops_down(sandbox), app.run_test(size=(160, 48)) as pilot:
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


async def test_an_aborted_run_opens_on_its_aborted_branch_with_its_log(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """cart-ci #2 (seeded): the parallel branch "integration" aborted, later stages never
    built; the view opens there and reads that step's log from the sandbox's DevOps API."""
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        runs = await open_runs(pilot, "cart-ci")
        name = next(r.name for r in runs.runs.values() if r.build == "2")
        await pilot.press("escape")
        run = await open_run(pilot, "cart-ci", name)
        stage = run.stage()
        assert stage is not None
        assert (stage.name, stage.state.value) == ("integration", "aborted")
        await wait_until(pilot, lambda: run.query_one("#log").lines, "the step's log")  # type: ignore[attr-defined]


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
        await pilot.pause()  # the move asks the permissions again, for that project
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


async def test_the_trigger_forms_boolean_parameter_names_itself(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """cart-ci's `RUN_E2E` (BooleanParameterDefinition): a ticked box with its name beside."""
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await pipeline_list(pilot)
        key = next(k for k, p in screen.pipelines.items() if p.name == "cart-ci")
        screen.query_one(ResourceTable).move_cursor_to(key)
        await pilot.pause()
        await wait_until(pilot, lambda: screen.allowed("trigger"), "the trigger permission")
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TriggerForm", "the form")
        await pilot.pause(0.2)
        box: Any = app.screen.query_one("#p-RUN_E2E")
        assert box.value is True
        assert "RUN_E2E" in app.export_screenshot()


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


async def test_a_run_vanishing_leaves_no_error_on_screen(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The controller deletes a run Jenkins merged into an identical queued build (§3.2)."""
    client = sandbox_client(sandbox)
    pipeline = await client.get(f"{GROUP}/namespaces/{NS}/pipelines/storefront-build")
    from kstui.backends.pipeline_bodies import pipelinerun_body

    body = pipelinerun_body(pipeline, {"IMAGE_TAG": "dup"}, creator="admin")
    body["metadata"]["name"] = "storefront-build-dup01"
    await client.create(f"{GROUP}/namespaces/{NS}/pipelineruns", body)
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        run = await open_run(pilot, "storefront-build", "storefront-build-dup01")
        path = f"{GROUP}/namespaces/{NS}/pipelineruns/storefront-build-dup01"
        await client.patch(path, {"metadata": {"finalizers": None}})
        await client.delete(path)
        await wait_until(pilot, lambda: run.gone, "the run gone", timeout=15)
        await pilot.pause(0.3)
        assert "no longer exists" in drawn(run.query_one("#note", Plain))
        assert not [n for n in app._notifications if n.severity == "error"]
        assert run.query_one("#status", Plain).has_class("-denied") is False
    await client.aclose()


async def test_a_tenant_may_not_trigger_in_another_workspace_and_sees_why(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = sandbox_client(sandbox)
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    role = {
        "metadata": {"name": "test-pipelines-viewer"},
        "rules": [
            {
                "apiGroups": ["devops.kubesphere.io"],
                "resources": ["devopsprojects", "pipelines", "pipelineruns"],
                "verbs": ["get", "list", "watch"],
            }
        ],
    }
    binding = {
        "metadata": {"name": "test-pipelines-viewer"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "test-pipelines-viewer",
        },
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}],
    }
    await client.create(f"{rbac}/clusterroles", role)
    await client.create(f"{rbac}/clusterrolebindings", binding)
    try:
        app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache", context="tenant")
        async with app.run_test(size=(160, 48)) as pilot:
            screen = await pipeline_list(pilot)
            key = next(k for k, p in screen.pipelines.items() if p.name == "storefront-build")
            screen.query_one(ResourceTable).move_cursor_to(key)
            await wait_until(
                pilot, lambda: "run.trigger" in screen.permissions, "the trigger permission"
            )
            assert not screen.permissions["run.trigger"].allowed
            await pilot.press("ctrl+e")
            await pilot.pause(0.2)
            status = drawn(screen.query_one("#status", Plain))
            assert "alice may not create pipelineruns in shop-cicdr7x2k" in status
            assert type(app.screen).__name__ == "PipelinesScreen"
    finally:
        await client.delete(f"{rbac}/clusterrolebindings/test-pipelines-viewer")
        await client.delete(f"{rbac}/clusterroles/test-pipelines-viewer")
        await client.aclose()


async def test_without_a_devops_api_the_agent_pod_events_and_jnlp_log_are_shown(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with devops_down(sandbox), app.run_test(size=(160, 48)) as pilot:
        run = await open_run(pilot, "storefront-build", "storefront-build-p8vzc")
        log = run.query_one("#log")
        await wait_until(pilot, lambda: run.api_problem, "the DevOps API found missing")
        await wait_until(pilot, lambda: "container jnlp log" in "\n".join(log.lines), "jnlp")
        text = "\n".join(log.lines)  # type: ignore[attr-defined]
        assert "no DevOps API" in text
        assert "— from the cluster (not the step's output) —" in text
        assert "agent pod kubesphere-devops-worker/base-jx8kn" in text
        assert "named by the run's agent-pod-name annotation" in text
        assert "container jnlp: running" in text
        await pilot.press("ctrl+x")  # the action says why at once, asks nothing
        await pilot.pause(0.1)
        assert "ctrl+x stop: no DevOps API" in drawn(run.query_one("#status", Plain))
        assert type(app.screen).__name__ == "RunScreen"


async def test_a_multi_branch_trigger_sends_the_branch_in_scm(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = sandbox_client(sandbox)
    path = f"{GROUP}/namespaces/{NS}/pipelineruns"
    before = {r["metadata"]["name"] for r in (await client.list(path))["items"]}
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await pipeline_list(pilot)
        key = next(k for k, p in screen.pipelines.items() if p.name == "api-release")
        screen.query_one(ResourceTable).move_cursor_to(key)
        await pilot.pause()  # the move asks the permissions again, for that project
        await wait_until(pilot, lambda: screen.allowed("trigger"), "the trigger permission")
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TriggerForm", "the form")
        await pilot.pause(0.2)
        assert app.screen.query_one("#branch").value == "main"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ != "TriggerForm", "the send")
    made = [r for r in (await client.list(path))["items"] if r["metadata"]["name"] not in before]
    assert len(made) == 1
    assert made[0]["spec"]["scm"] == {"refName": "main", "refType": "branch"}
    assert made[0]["spec"]["pipelineSpec"]["type"] == "multi-branch-pipeline"
    assert made[0]["metadata"]["generateName"] == "api-release-"
    await client.delete(f"{path}/{made[0]['metadata']['name']}")
    await client.aclose()


async def test_key_4_and_the_command_open_the_section(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    loaded = load_kubeconfig(str(sandbox.kubeconfig))
    app = build_app(AppSettings(loaded, "host", "default", cache_dir=tmp_path / "cache"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("4")
        await pipeline_list(pilot)
        await pilot.press("1")
        await wait_until(pilot, lambda: type(app.screen).__name__ != "PipelinesScreen", "1")
        await pilot.press("colon", *"pipelines", "enter")
        await pipeline_list(pilot)


async def test_a_tenant_who_cannot_list_devops_projects_is_told_what_to_do(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The tenant context (shop-prod only) lists no DevOps project: the empty list says why and
    how to reach one, the trigger key says there is no pipeline (not a check that never ends),
    and `:s2i` says the builders are not visible rather than a raw 403."""
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache", context="tenant")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("4")
        await wait_until(pilot, lambda: isinstance(app.screen, PipelinesScreen), "the section")
        screen = app.screen
        assert isinstance(screen, PipelinesScreen)
        table = screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: "not yours to list" in table._empty_message, "why")
        await pilot.pause(0.5)
        assert screen.denial("trigger") == "no pipeline selected"
        await pilot.press("colon", *"s2i", "enter")
        await wait_until(
            pilot, lambda: type(app.screen).__name__ == "S2iScreen", "the builders view"
        )
        await wait_until(
            pilot,
            lambda: (
                "S2I builders not visible to you" in drawn(app.screen.query_one("#note", Plain))
            ),
            "the tenant's note",
        )
        assert "Forbidden" not in drawn(app.screen.query_one("#note", Plain))

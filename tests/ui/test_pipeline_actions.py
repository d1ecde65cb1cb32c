"""A run's actions in the app, against the sandbox's own DevOps API (service proxy, anonymous)
and its ks-apiserver OAuth door: stop asked first and naming the anonymous service-proxy way,
an input step's proceed refused to anonymous with the reason on screen (HTTP 200,
`allow: false`), the whole run's log; and the ks-apiserver mode: the password asked once in a
masked field, the log read with the token, only the refresh token kept (keyring), no secret on
screen or in any file."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from kstui.config import Config
from kstui.widgets.plain import Plain
from tests.conftest import MemoryKeyring, RunningSandbox
from tests.connections import sandbox_client
from tests.sandbox.test_identity_and_controllers import advance
from tests.sandbox.test_pipelines import settle
from tests.ui.conftest import drawn, wait_until
from tests.ui.test_pipelines import GROUP, open_run, open_runs, pipelines_app

PASSWORD = "P@88w0rd"  # every sandbox User's
PROXY = "/api/v1/namespaces/kubesphere-devops-system/services/devops-apiserver:9090/proxy"
V2 = f"{PROXY}/kapis/devops.kubesphere.io/v1alpha2/namespaces"


def _said(app: Any, words: str) -> bool:
    return any(words in str(n.message) for n in app._notifications)


async def test_stop_is_asked_first_naming_the_anonymous_way(
    fresh_sandbox: Any, tmp_path: Path
) -> None:
    sandbox: RunningSandbox = fresh_sandbox(frozen=True, pods=0, pipeline_poll_seconds=1.0)
    client = sandbox_client(sandbox)
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        runs = await open_runs(pilot, "storefront-build")
        name = next(r.name for r in runs.runs.values() if r.build == "14")
        await pilot.press("escape")
        run = await open_run(pilot, "storefront-build", name)
        await wait_until(pilot, lambda: run.allowed("stop"), "the SSAR on services/proxy")
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmModal", "ask")
        detail = drawn(app.screen.query_one("#detail", Plain))
        assert "anonymous" in detail
        assert "Jenkins-admin rights" in detail
        path = f"{V2}/shop-cicdr7x2k/pipelines/storefront-build/runs/14"
        assert (await client.get(path))["result"] == "UNKNOWN"  # nothing before the answer
        await pilot.press("y")
        await wait_until(pilot, lambda: _said(app, "as anonymous"), "the way named")
        assert (await client.get(path))["result"] == "ABORTED"
        await asyncio.to_thread(advance, sandbox, 2)
        settle(sandbox)
        await wait_until(pilot, lambda: run.run.phase == "Failed", "the run failed", timeout=15)
        assert not [n for n in app._notifications if n.severity == "error"]
    await client.aclose()


async def test_an_input_refused_to_anonymous_shows_its_reason(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """api-release main #5 waits on `Approve-prod` (submitter alice): ks-devops answers the
    anonymous caller 200 `{"allow": "false", "message"}`; the reason is shown, no success."""
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        run = await open_run(pilot, "api-release", "api-release-7fk2w")
        await wait_until(pilot, lambda: run.allowed("input"), "the SSAR")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "InputModal", "input")
        assert "Submitters: alice" in drawn(app.screen.query_one("#detail", Plain))
        await pilot.click("#proceed")
        await wait_until(
            pilot,
            lambda: _said(app, "you have no permission to approve this step"),
            "the refusal's reason on screen",
        )
        assert not _said(app, ": done")
    client = sandbox_client(sandbox)
    still = await client.get(f"{V2}/shop-cicdr7x2k/pipelines/api-release/branches/main/runs/5")
    assert still["state"] == "PAUSED"
    await client.aclose()


async def test_the_whole_runs_log(sandbox: RunningSandbox, tmp_path: Path) -> None:
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        run = await open_run(pilot, "storefront-build", "storefront-build-h2x9d")
        await pilot.pause(0.5)
        await pilot.press("Z")
        await wait_until(
            pilot, lambda: "whole run (ended)" in drawn(run.query_one("#log-title")), "log"
        )
        lines: list[str] = run.query_one("#log").lines  # type: ignore[attr-defined]
        assert lines[-1] == "Finished: FAILURE"
        assert any(line.startswith("Started by") for line in lines)


async def test_the_ks_apiserver_mode_asks_once_and_keeps_only_the_refresh_token(
    sandbox: RunningSandbox, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    url = sandbox.sandbox.ks_apiserver("host").url
    config = Config(devops={"host": _endpoint(url)})
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache", config=config)
    async with app.run_test(size=(120, 36)) as pilot:
        run = await open_run(pilot, "storefront-build", "storefront-build-h2x9d")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "LoginForm", "login")
        await pilot.pause(0.2)
        field = app.screen.query_one("#password")
        assert field.password  # type: ignore[attr-defined]
        await pilot.click("#password")
        await pilot.press(*PASSWORD)
        shown = app.export_screenshot()
        assert PASSWORD not in shown
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: "(ended)" in drawn(run.query_one("#log-title")), "the log, as alice"
        )
        assert "script returned exit code" in "\n".join(run.query_one("#log").lines)  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        shown = app.export_screenshot()
    ((entry, refresh),) = memory_keyring.secrets.items()
    assert entry == ("kstui-kubesphere", f"{url} alice")
    assert refresh
    assert refresh != PASSWORD
    for secret in (PASSWORD, refresh):
        assert secret not in shown
    assert _files_holding(tmp_path, (PASSWORD, refresh)) == []


async def test_a_duplicate_run_vanishes_with_no_error_on_screen(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Two identical runs within a second: Jenkins merges the second request into the queued
    build and the controller deletes its PipelineRun (§3.2); the list just loses it."""
    from kstui.backends.pipeline_bodies import pipelinerun_body

    client = sandbox_client(sandbox)
    ns = "shop-cicdr7x2k"
    pipeline = await client.get(f"{GROUP}/namespaces/{ns}/pipelines/storefront-build")
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        runs = await open_runs(pilot, "storefront-build")
        made = []
        for _ in range(2):
            body = pipelinerun_body(pipeline, {"IMAGE_TAG": "twin-7"}, creator="admin")
            made.append(
                (await client.create(f"{GROUP}/namespaces/{ns}/pipelineruns", body))["metadata"][
                    "name"
                ]
            )
        names = lambda: {r.name for r in runs.runs.values()}  # noqa: E731
        await wait_until(pilot, lambda: made[0] in names(), "the first run listed", timeout=15)
        await wait_until(pilot, lambda: made[1] not in names(), "the twin gone", timeout=20)
        await pilot.pause(0.5)
        assert made[0] in names()
        assert not [n for n in app._notifications if n.severity == "error"]
        assert "Error" not in drawn(runs.query_one("#status", Plain))
    for name in made:
        path = f"{GROUP}/namespaces/{ns}/pipelineruns/{name}"
        with contextlib.suppress(Exception):  # the twin is already gone
            await client.patch(path, {"metadata": {"finalizers": None}})
            await client.delete(path)
    await client.aclose()


def _files_holding(root: Path, secrets: tuple[str, ...]) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and any(s.encode() in path.read_bytes() for s in secrets)
    ]


def _endpoint(url: str) -> Any:
    from kstui.backends.devops_endpoint import KsApiEndpoint

    return KsApiEndpoint(url, "alice")


async def test_an_input_steps_words_are_data_not_markup() -> None:
    from textual.app import App
    from textual.widgets import Button

    from kstui.backends.pipeline_graph import InputRequest
    from kstui.screens.pipeline_forms import InputModal

    ask = InputRequest("in-1", "[bold]Deploy[/bold]?", "[red]Go[/red]", "alice")

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(InputModal(ask, "mode"))

    async with Host().run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        label = str(pilot.app.screen.query_one("#proceed", Button).label)
        assert label == "[red]Go[/red]"
        assert "[bold]Deploy[/bold]?" in drawn(pilot.app.screen.query_one("#question", Plain))


async def test_a_long_log_read_at_once_keeps_only_what_the_pane_holds(
    fresh_sandbox: Any, tmp_path: Path
) -> None:
    from kstui.screens.pipeline_run import LOG_LINES

    sandbox: RunningSandbox = fresh_sandbox(frozen=True, pods=0, pipeline_poll_seconds=1.0)
    client = sandbox_client(sandbox)
    ns = "shop-cicdr7x2k"
    plan = [{"name": "Chatty", "steps": [{"sh": "make chatty", "units": 2, "lines": 25_000}]}]
    await client.create(
        f"{GROUP}/namespaces/{ns}/pipelines",
        {
            "metadata": {
                "name": "chatty",
                "annotations": {"sandbox.kstui.io/plan": json.dumps(plan)},
            },
            "spec": {"type": "pipeline", "pipeline": {"name": "chatty"}},
        },
    )
    from kstui.backends.pipeline_bodies import pipelinerun_body

    pipeline = await client.get(f"{GROUP}/namespaces/{ns}/pipelines/chatty")
    made = await client.create(
        f"{GROUP}/namespaces/{ns}/pipelineruns", pipelinerun_body(pipeline, {}, creator="admin")
    )
    settle(sandbox)
    await asyncio.to_thread(advance, sandbox, 30)
    settle(sandbox)
    app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        run = await open_run(pilot, "chatty", made["metadata"]["name"])
        log: Any = run.query_one("#log")
        await wait_until(
            pilot, lambda: "(ended)" in drawn(run.query_one("#log-title")), "end", timeout=15
        )
        assert log.lines[0].startswith("… ")
        assert log.lines[0].endswith(" earlier lines not shown")
        assert len(log.lines) == LOG_LINES
        assert log.lines[-1]
    await client.aclose()

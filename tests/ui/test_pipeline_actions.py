"""A run's actions in the app, against a stand-in devops-apiserver: stop asked first and naming
the anonymous service-proxy way, an input step's proceed refused to anonymous with the reason
on screen, the whole run's log; and the ks-apiserver mode: the password asked once in a masked
field, the log read with the token, only the refresh token kept (keyring), no secret on screen
or in any file."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from kstui.config import Config
from kstui.widgets.plain import Plain
from tests.conftest import MemoryKeyring, RunningSandbox
from tests.devops_stand import devops_answers
from tests.ui.conftest import drawn, wait_until
from tests.ui.test_pipelines import open_run, pipelines_app

PASSWORD = "pw-9f2c-never-shown"
REFRESH = "refresh-77aa-kept-in-keyring"
ACCESS = "access-31bb-in-memory"


class Stand:
    """devops-apiserver (and, for the ks-apiserver mode, its /oauth/token)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes, str | None]] = []
        self.logs: list[tuple[str, str | None]] = []
        self.grants: list[dict[str, str]] = []
        self.log_text = "Started by user carol\n+ make test\nFinished: FAILURE\n"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization")
        if request.path == "/oauth/token":
            form = dict(await request.post())
            self.grants.append({k: str(v) for k, v in form.items()})
            if form.get("password") not in (None, PASSWORD):
                return web.json_response({"error": "invalid_grant"}, status=400)
            return web.json_response(
                {"access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 7200}
            )
        if request.method == "GET" and request.path.endswith("/log"):
            self.logs.append((request.path, auth))
            text = self.log_text
            start = int(request.query.get("start", "0"))
            return web.Response(
                text=text[start:],
                headers={"X-Text-Size": str(len(text)), "X-More-Data": "false"},
            )
        if request.method == "POST":
            self.posts.append((request.path, await request.read(), auth))
            if "/nodes/" in request.path and auth is None:
                return web.Response(status=403, text="you have no permission to approve this step")
            return web.json_response({})
        return web.Response(status=404)


@contextlib.asynccontextmanager
async def stand_in(sandbox: RunningSandbox, proxy: bool = True) -> AsyncIterator[tuple[Stand, str]]:
    stand = Stand()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", stand.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        if proxy:
            async with devops_answers(sandbox, url):
                yield stand, url
        else:
            yield stand, url
    finally:
        await runner.cleanup()


async def test_stop_is_asked_first_naming_the_anonymous_way(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with stand_in(sandbox) as (stand, _):
        app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
        async with app.run_test(size=(120, 36)) as pilot:
            run = await open_run(pilot, "storefront-build", "storefront-build-p8vzc")
            await wait_until(pilot, lambda: run.allowed("stop"), "the SSAR on services/proxy")
            await pilot.press("K")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmModal", "ask")
            detail = drawn(app.screen.query_one("#detail", Plain))
            assert "anonymous" in detail
            assert "Jenkins-admin rights" in detail
            assert stand.posts == []  # nothing before the answer
            await pilot.press("y")
            await wait_until(pilot, lambda: stand.posts, "the stop")
            assert stand.posts[0][0].endswith("/pipelines/storefront-build/runs/14/stop")
            await wait_until(
                pilot,
                lambda: any("as anonymous" in str(n.message) for n in app._notifications),
                "the notification naming the way",
            )


async def test_an_input_refused_to_anonymous_shows_its_reason(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with stand_in(sandbox) as (stand, _):
        app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
        async with app.run_test(size=(120, 36)) as pilot:
            run = await open_run(pilot, "api-release", "api-release-7fk2w")
            await wait_until(pilot, lambda: run.allowed("input"), "the SSAR")
            await pilot.press("V")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "InputModal", "input")
            assert "Submitters: alice" in drawn(app.screen.query_one("#detail", Plain))
            await pilot.click("#proceed")
            await wait_until(pilot, lambda: stand.posts, "the answer sent")
            path, body, _ = stand.posts[0]
            assert path.endswith("/pipelines/api-release/branches/main/runs/5/nodes/31/steps/32")
            assert json.loads(body) == {"id": "Approve-prod", "parameters": []}
            await wait_until(
                pilot,
                lambda: any(
                    "you have no permission to approve this step" in str(n.message)
                    for n in app._notifications
                ),
                "the refusal's reason on screen",
            )


async def test_the_whole_runs_log(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with stand_in(sandbox) as (stand, _):
        app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
        async with app.run_test(size=(120, 36)) as pilot:
            run = await open_run(pilot, "storefront-build", "storefront-build-h2x9d")
            await pilot.pause(0.5)
            await pilot.press("L")
            await wait_until(
                pilot, lambda: "whole run (ended)" in drawn(run.query_one("#log-title")), "log"
            )
            assert any(p.endswith("/runs/13/log") for p, _ in stand.logs)
            assert "Finished: FAILURE" in "\n".join(run.query_one("#log").lines)  # type: ignore[attr-defined]


async def test_the_ks_apiserver_mode_asks_once_and_keeps_only_the_refresh_token(
    sandbox: RunningSandbox, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    async with stand_in(sandbox, proxy=False) as (stand, url):
        config = Config(devops={"host": _endpoint(url)})
        app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache", config=config)
        async with app.run_test(size=(120, 36)) as pilot:
            await open_run(pilot, "storefront-build", "storefront-build-h2x9d")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "LoginForm", "login")
            await pilot.pause(0.2)
            field = app.screen.query_one("#password")
            assert field.password  # type: ignore[attr-defined]
            await pilot.click("#password")
            await pilot.press(*PASSWORD)
            shown = app.export_screenshot()
            assert PASSWORD not in shown
            await pilot.press("enter")
            await wait_until(pilot, lambda: stand.logs, "the log read with the token")
            assert stand.logs[0][1] == f"Bearer {ACCESS}"
            assert [g["grant_type"] for g in stand.grants] == ["password"]
            await pilot.pause(0.3)
            shown = app.export_screenshot()
        for secret in (PASSWORD, REFRESH, ACCESS):
            assert secret not in shown
        assert memory_keyring.secrets == {("kstui-kubesphere", f"{url} alice"): REFRESH}
        assert _files_holding(tmp_path, (PASSWORD, REFRESH, ACCESS)) == []


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
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    from kstui.screens.pipeline_run import LOG_LINES

    async with stand_in(sandbox) as (stand, _):
        stand.log_text = "".join(f"line {n}\n" for n in range(LOG_LINES + 5_000))
        app = pipelines_app(sandbox.kubeconfig, tmp_path / "cache")
        async with app.run_test(size=(120, 36)) as pilot:
            run = await open_run(pilot, "storefront-build", "storefront-build-h2x9d")
            log: Any = run.query_one("#log")
            await wait_until(pilot, lambda: "(ended)" in drawn(run.query_one("#log-title")), "end")
            assert log.lines[0] == "… 5,001 earlier lines not shown"
            assert log.lines[1] == "line 5001"
            assert len(log.lines) == LOG_LINES
            assert log.lines[-1] == f"line {LOG_LINES + 4_999}"

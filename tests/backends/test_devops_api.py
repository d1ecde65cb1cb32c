"""The DevOps API client through the sandbox's real service proxy (API.md §3.4, §9.4), against
a stand-in devops-apiserver registered behind `kubesphere-devops-system/devops-apiserver:9090`
(the sandbox's own emulation is another branch's work): a step log followed live through
`start`/`X-Text-Size`/`X-More-Data`, stop and replay, an input step refused to anonymous with
its reason, the SSAR on services/proxy before an action (a tenant is refused, and told why),
and the DevOps API down."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from kstui.backends.devops_api import DevOpsError, DevOpsUnreachable, RunRef
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.pipelines_service import PipelineService
from kstui.backends.session import BackendSettings, Session
from tests.conftest import RunningSandbox
from tests.devops_stand import devops_answers

NS = "kubesphere-devops-system"
REF = RunRef("shop-cicdr7x2k", "storefront-build", "14")
STEP = (
    "/kapis/devops.kubesphere.io/v1alpha2/namespaces/shop-cicdr7x2k/pipelines/storefront-build"
    "/runs/14/nodes/24/steps/25"
)


class FakeDevOps:
    """A step log that grows while the step runs; the actions it was sent."""

    def __init__(self) -> None:
        self.log = ""
        self.more = True
        self.starts: list[str] = []
        self.posts: list[tuple[str, str, bytes]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if request.method == "GET" and path == f"{STEP}/log":
            start = int(request.query.get("start", "0"))
            self.starts.append(request.query.get("start", ""))
            data = self.log.encode()
            return web.Response(
                body=data[start:],
                content_type="text/plain",
                headers={
                    "X-Text-Size": str(len(data)),
                    "X-More-Data": "true" if self.more else "false",
                },
            )
        if request.method == "POST":
            body = await request.read()
            self.posts.append((path, request.query_string, body))
            auth = request.headers.get("Authorization")
            if path == STEP and auth is None:  # anonymous, not a listed submitter
                return web.Response(status=403, text="you have no permission to approve this step")
            return web.json_response({"ok": True})
        return web.Response(status=404, text="not found")


@contextlib.asynccontextmanager
async def devops_api(sandbox: RunningSandbox) -> AsyncIterator[FakeDevOps]:
    fake = FakeDevOps()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with devops_answers(sandbox, f"http://127.0.0.1:{port}"):
            yield fake
    finally:
        await runner.cleanup()


def service(sandbox: RunningSandbox, tmp_path: Path, context: str = "host") -> PipelineService:
    config = load_kubeconfig(str(sandbox.kubeconfig))
    settings = BackendSettings(cache_dir=tmp_path / "cache")
    return PipelineService(Session(config, context, "default", settings=settings))


async def test_a_step_log_is_followed_live_through_the_offsets(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with devops_api(sandbox) as fake:
        pipelines = service(sandbox, tmp_path)
        fake.log = "+ docker build .\nStep 1/9"
        got: list[str] = []

        async def after(asks: int) -> None:
            for _ in range(500):  # the client's own pace: wait for its n-th ask
                if len(fake.starts) >= asks:
                    return
                await asyncio.sleep(0.02)

        async def grow() -> None:
            await after(2)  # a quiet ask while the step runs
            fake.log += " : FROM alpine\nStep 2/9 : RUN make\n"
            await after(4)
            fake.log += "Successfully built 1a2b\n"
            fake.more = False

        grower = asyncio.create_task(grow())
        async with asyncio.timeout(10):
            async for lines in pipelines.follow("host", REF, "24", "25"):
                got += lines
        await grower
        assert got == [
            "+ docker build .",
            "Step 1/9 : FROM alpine",
            "Step 2/9 : RUN make",
            "Successfully built 1a2b",
        ]
        assert fake.starts[0] == "0"
        assert fake.starts[-1] == str(len(fake.log.encode()) - len("Successfully built 1a2b\n"))
        assert fake.starts[1] == str(len("+ docker build .\nStep 1/9"))  # X-Text-Size
        assert len(set(fake.starts)) >= 3  # and along with it


async def test_stop_replay_and_an_input_refused_with_its_reason(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with devops_api(sandbox) as fake:
        pipelines = service(sandbox, tmp_path)
        said = await pipelines.act("host", "stop run #14", lambda api: api.stop(REF))
        assert "as anonymous" in said
        await pipelines.act("host", "replay run #14", lambda api: api.replay(REF))
        run = REF.path()
        assert fake.posts[:2] == [
            (f"{run}/stop", "blocking=true&timeOutInSecs=10", b""),
            (f"{run}/replay", "", b""),
        ]
        with pytest.raises(DevOpsError) as refused:
            await pipelines.act(
                "host",
                "proceed",
                lambda api: api.answer_input(REF, "24", "25", "Approve-prod"),
            )
        assert refused.value.reason == "you have no permission to approve this step"
        assert refused.value.status == 403
        assert fake.posts[2][2] == b'{"id":"Approve-prod","parameters":[]}'
        with pytest.raises(DevOpsError):
            await pipelines.act(
                "host",
                "abort",
                lambda api: api.answer_input(REF, "24", "25", "Approve-prod", abort=True),
            )
        assert fake.posts[3][2] == b'{"id":"Approve-prod","abort":true}'


async def test_an_action_is_checked_on_services_proxy_first(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with devops_api(sandbox) as fake:
        tenant = service(sandbox, tmp_path, context="tenant")
        with pytest.raises(DevOpsError) as refused:
            await tenant.act("tenant", "stop run #14", lambda api: api.stop(REF))
        assert "services/proxy" in refused.value.reason
        assert "not allowed" in refused.value.reason
        assert fake.posts == []  # nothing was sent
        verdict = await tenant.permission("devops.act", context="tenant")
        assert not verdict.allowed


async def test_no_devops_api_is_said_as_such(sandbox: RunningSandbox, tmp_path: Path) -> None:
    pipelines = service(sandbox, tmp_path)

    async def read() -> None:
        async for _ in pipelines.follow("host", REF, "24", "25"):
            pass

    async with devops_answers(sandbox, None):
        with pytest.raises(DevOpsUnreachable) as down:
            await read()
    assert down.value.title.startswith("no DevOps API")


async def test_a_cluster_without_devops_is_named_not_failed(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kstui.backends.errors import ApiError
    from kstui.backends.kube import KubeClient

    plain = KubeClient.list
    member = sandbox.url("member")

    async def no_devops_on_member(self: KubeClient, path: str, *args: object, **kw: object):  # type: ignore[no-untyped-def]
        if self.connection.server.rstrip("/") == member.rstrip("/") and "devops" in path:
            raise ApiError(404, "the server could not find the requested resource")
        return await plain(self, path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(KubeClient, "list", no_devops_on_member)
    overview = await service(sandbox, tmp_path).overview()
    assert {p.cluster for p in overview.pipelines} == {"host"}
    assert "member: no KubeSphere DevOps" in overview.warnings
